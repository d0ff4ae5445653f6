/**
 * The HTTP app: health, readiness, metrics, and routes to the admission handlers
 * (src/server/admission-handler.ts), where bodies, status codes, logs and metrics of admission
 * calls are handled. Decisions are made in src/admission (the core and the policy engine).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { MutationOptions } from '../admission/mutate';
import { cacheFor } from '../admission/mutation-cache';
import type { AdmissionRequest } from '../admission/review';
import type { ValidationOutcome } from '../admission/validate';
import {
  createAdmissionHandler,
  reject,
  type Handler,
  type ResponseSink,
  type Webhook,
} from './admission-handler';
import type { AdmissionMetrics } from './metrics';

export { BODY_LIMIT_BYTES } from './admission-handler';

export interface AppDependencies {
  logger: Logger;
  metrics: AdmissionMetrics;
  /** Read per request, so a reloaded configuration applies to the next request. */
  mutation: () => MutationOptions;
  validate: (request: AdmissionRequest) => ValidationOutcome | Promise<ValidationOutcome>;
  /** False while starting or draining: /readyz answers 503 and the Service stops routing here. */
  ready: () => boolean;
  /** How long a request may take to send its body (default BODY_TIMEOUT_MS). */
  bodyTimeoutMs?: number;
}

export function createApp(deps: AppDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  for (const [path, handler] of Object.entries(probeHandlers(deps))) {
    app.get(path, (req, res) => handler(req, res));
  }

  const handlers = admissionHandlers(deps);
  app.post('/mutate', (req, res) => handlers.mutate(req, res));
  app.post('/validate', (req, res) => handlers.validate(req, res));

  app.use((_req, res) => {
    res.status(404).json({
      error:
        'not found: kafka-warden serves POST /mutate, POST /validate, GET /healthz, /readyz, /metrics',
    });
  });
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    deps.logger.error({ path: req.path, error: (error as Error)?.message }, 'request failed');
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

/**
 * GET /healthz, /readyz and /metrics as plain handlers: express routes to them over HTTP/1.1, and
 * AdmissionServer dispatches to them directly over HTTP/2, where express cannot run (its request
 * and response extend node:http's, not node:http2's compatibility objects).
 */
export function probeHandlers(
  deps: Pick<AppDependencies, 'logger' | 'metrics' | 'ready'>,
): Record<string, Handler> {
  const text = (res: ResponseSink, status: number, body: string, type = 'text/plain') => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  return {
    '/healthz': (_req, res) => {
      text(res, 200, 'ok');
    },
    '/readyz': (_req, res) => {
      const ready = deps.ready();
      text(res, ready ? 200 : 503, ready ? 'ready' : 'not ready');
    },
    '/metrics': (_req, res) => {
      deps.metrics.registry.metrics().then(
        (body) => text(res, 200, body, deps.metrics.registry.contentType),
        (error: unknown) => {
          deps.logger.error(
            { path: '/metrics', error: (error as Error)?.message },
            'request failed',
          );
          reject(res, 500, 'internal error');
        },
      );
    },
  };
}

/** The admission handlers an app routes to; AdmissionServer dispatches to the same ones directly. */
export function admissionHandlers(deps: AppDependencies): Record<Webhook, Handler> {
  return {
    mutate: createAdmissionHandler(
      'mutate',
      deps,
      (request) => {
        const options = deps.mutation();
        return cacheFor(options.config).mutate(request, options);
      },
      deps.bodyTimeoutMs,
    ),
    validate: createAdmissionHandler(
      'validate',
      deps,
      (request) => deps.validate(request),
      deps.bodyTimeoutMs,
    ),
  };
}
