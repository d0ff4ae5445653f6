/**
 * Plain JSON requests to the Kubernetes API for the Secret issuer. @kubernetes/client-node is used
 * for what it is good at, reading kubeconfigs and in-cluster credentials (and refreshing tokens), and
 * the requests themselves are Node https calls: every request has a deadline, the status code is
 * the answer (201 vs 409 is the issuer's concurrency protocol, docs/design.md), and objects stay the
 * plain JSON the rest of kafka-warden reads, not client-node's model classes.
 *
 * Loaded by `kafka-warden serve --issue-secrets` only. The client is ESM-only and external to the
 * bundle; it is loaded with require(), which loads ES modules on Node ≥ 20.19, because a dynamic
 * import() inside the vm.Script that bin/run-bundle.js runs the bundle in fails ("A dynamic import
 * callback was not specified"); see config-map-plan-source.ts. The issuer itself only knows the
 * KubeApi interface, so src/kube/issuer/ and its unit tests never load this file.
 */
import https from 'node:https';
import type { KubeApi, KubeResponse, RequestOptions, WatchEvent } from './kube-api';

export interface KubeClientOptions {
  /** A kubeconfig file; otherwise the in-cluster service account, then $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  /** Deadline of each request (default 10 s). */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** A watch is a long request: the server closes it after this, and the client gives it a margin. */
const WATCH_SERVER_TIMEOUT_S = 240;
const WATCH_CLIENT_MARGIN_MS = 30_000;

export function connectKube(options: KubeClientOptions = {}): KubeApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see the module comment
  const k8s = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig names no current cluster');
  const server = new URL(cluster.server);
  if (server.protocol !== 'https:') {
    throw new Error(`the API server must be https, not ${server.protocol} (${cluster.server})`);
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  async function requestOptions(method: string, path: string): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {
      method,
      hostname: server.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: server.port || 443,
      path: `${server.pathname.replace(/\/$/, '')}${path}`,
      headers: { accept: 'application/json' },
    };
    // Client certificate, CA, bearer token (re-read from its file each time), proxy agent.
    await config.applyToHTTPSOptions(opts);
    return opts;
  }

  return {
    server: cluster.server,

    async request<T>(
      method: string,
      path: string,
      body?: unknown,
      options: RequestOptions = {},
    ): Promise<KubeResponse<T>> {
      const opts = await requestOptions(method, path);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      if (payload !== undefined) {
        opts.headers = {
          ...opts.headers,
          'content-type': options.contentType ?? 'application/json',
          'content-length': Buffer.byteLength(payload),
        };
      }
      return new Promise((resolve, reject) => {
        const req = https.request(opts, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              // Not JSON (a proxy's error page): keep the text for the error message.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
          res.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
          });
        });
        const timer = setTimeout(() => {
          req.destroy(new Error(`${method} ${path}: no answer within ${requestTimeoutMs} ms`));
        }, requestTimeoutMs);
        req.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        req.end(payload);
      });
    },

    async watch(
      path: string,
      onEvent: (event: WatchEvent) => void,
      signal: AbortSignal,
    ): Promise<void> {
      const separator = path.includes('?') ? '&' : '?';
      const opts = await requestOptions(
        'GET',
        `${path}${separator}watch=true&timeoutSeconds=${WATCH_SERVER_TIMEOUT_S}`,
      );
      return new Promise((resolve, reject) => {
        if (signal.aborted) {
          resolve();
          return;
        }
        const req = https.request(opts, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            finish(new Error(`watch ${path}: HTTP ${res.statusCode}`));
            return;
          }
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let newline = buffered.indexOf('\n');
            while (newline !== -1) {
              const line = buffered.slice(0, newline).trim();
              buffered = buffered.slice(newline + 1);
              newline = buffered.indexOf('\n');
              if (!line) continue;
              try {
                onEvent(JSON.parse(line) as WatchEvent);
              } catch {
                // A malformed line only loses one trigger; the periodic pass catches up.
              }
            }
          });
          res.on('end', () => finish());
          res.on('error', (error) => finish(error));
        });
        // The server ends the watch after WATCH_SERVER_TIMEOUT_S; this bounds a stalled connection.
        const timer = setTimeout(
          () => req.destroy(new Error(`watch ${path}: stalled`)),
          WATCH_SERVER_TIMEOUT_S * 1000 + WATCH_CLIENT_MARGIN_MS,
        );
        const onAbort = () => req.destroy();
        signal.addEventListener('abort', onAbort, { once: true });
        let done = false;
        function finish(error?: Error): void {
          if (done) return;
          done = true;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (error && !signal.aborted) reject(error);
          else resolve();
        }
        req.on('error', (error) => finish(error));
        req.on('close', () => finish());
        req.end();
      });
    },
  };
}
