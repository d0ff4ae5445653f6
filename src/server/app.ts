/**
 * The HTTP app: health, readiness, metrics, and routes to the admission handlers
 * (src/server/admission-handler.ts), where bodies, status codes, logs and metrics of admission
 * calls are handled. Decisions are made in src/admission (the core and the policy engine).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { MutationOptions } from '../admission/mutate';
import { cacheFor } from '../admission/mutation-cache';
import type { AdmissionOutcome, AdmissionRequest } from '../admission/review';
import { createAdmissionHandler, type Handler, type Webhook } from './admission-handler';
import type { AdmissionMetrics } from './metrics';

export { BODY_LIMIT_BYTES } from './admission-handler';

export interface ValidationOutcome extends AdmissionOutcome {
  result: 'allowed' | 'denied' | 'warned' | 'skipped';
  /** Findings that denied, warned or were audited, for metrics. */
  findings: { rule: string; mode: string }[];
}

export interface AppDependencies {
  logger: Logger;
  metrics: AdmissionMetrics;
  /** Read per request, so a reloaded configuration applies to the next request. */
  mutation: () => MutationOptions;
  validate: (request: AdmissionRequest) => Promise<ValidationOutcome>;
  /** False while starting or draining: /readyz answers 503 and the Service stops routing here. */
  ready: () => boolean;
}

export function createApp(deps: AppDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', (_req, res) => {
    const ready = deps.ready();
    res
      .status(ready ? 200 : 503)
      .type('text/plain')
      .send(ready ? 'ready' : 'not ready');
  });
  app.get('/metrics', (_req, res, next) => {
    deps.metrics.registry
      .metrics()
      .then((text) => res.type(deps.metrics.registry.contentType).send(text))
      .catch(next);
  });

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

/** The admission handlers an app routes to; AdmissionServer dispatches to the same ones directly. */
export function admissionHandlers(deps: AppDependencies): Record<Webhook, Handler> {
  return {
    mutate: createAdmissionHandler('mutate', deps, (request) => {
      const options = deps.mutation();
      return cacheFor(options.config).mutate(request, options);
    }),
    validate: createAdmissionHandler('validate', deps, (request) => deps.validate(request)),
  };
}
