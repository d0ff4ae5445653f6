# kafka-warden CLI image: the post-renderer today, the admission webhook server later.
# Build stage: full dependencies to bundle; runtime stage: the one-file bundle on a distroless-style
# Node base, non-root. (No Docker engine runs in this project's CI: see docs/design.md.)
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
COPY helm-plugin helm-plugin
RUN node scripts/build.mjs

FROM node:20-bookworm-slim
WORKDIR /app
# The bundle inlines every dependency: no node_modules at run time.
COPY --from=build /src/dist/kafka-warden.js /app/dist/kafka-warden.js
COPY bin/kafka-warden /app/bin/kafka-warden
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/kafka-warden"]
CMD ["--help"]
