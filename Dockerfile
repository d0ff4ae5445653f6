# syntax=docker/dockerfile:1
# kafka-warden: `serve` (the admission webhooks, the default command) and every other CLI command.
#
#   docker build -t <registry>/kafka-warden:<version> .
#
# Stages: `build` bundles the CLI (all dependencies, dev included); `prod-deps` installs the
# production dependencies alone, because @kubernetes/client-node and kafkajs are left out of the
# bundle and loaded from node_modules by `serve` and `plan` (scripts/build.mjs); the last stage is
# what runs, as 65532.
# Build and run on the same Node image: the V8 code cache made at build time is only used by the
# Node version that made it. Node >= 20.19: `serve` require()s the ESM-only Kubernetes client.
# Pin NODE_IMAGE by digest for reproducible builds.
# (No Docker engine runs in this project's tests: test/e2e/chart/dockerfile.test.ts parses this file
# and replays its build and start-up commands in a temp dir instead.)
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/make-code-cache.js scripts/
COPY bin/ bin/
COPY src/ src/
COPY helm-plugin/ helm-plugin/
# The code cache is made after a warm-up render of this example.
COPY examples/cp-helm-charts-0.6.1-default.yaml examples/
RUN node scripts/build.mjs

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: no production dependency has one (only dev ones, esbuild and a watcher, do).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
# npm, npx, yarn and corepack are not needed at run time: fewer files, fewer CVEs to triage.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
      /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /app/node_modules/ node_modules/
COPY bin/kafka-warden bin/run-bundle.js bin/
COPY --from=build /src/dist/kafka-warden.js /src/dist/kafka-warden.js.cache /src/dist/kafka-warden.js.LEGAL.txt dist/
# The chart runs the container as 65532 too, with a read-only root file system.
USER 65532:65532
EXPOSE 8443
# For `docker run`; Kubernetes ignores HEALTHCHECK and uses the chart's probes (same endpoint).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('https').get({host:'127.0.0.1',port:process.env.KAFKA_WARDEN_PORT||8443,path:'/healthz',rejectUnauthorized:false,timeout:2000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/kafka-warden"]
CMD ["serve"]
