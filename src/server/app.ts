/**
 * The admission HTTP app: bodies, content types, status codes, logs and metrics. Decisions are
 * made in src/admission (which calls the core and the policy engine); nothing here inspects a
 * Kubernetes object beyond what a log line names. Logs carry the request uid, kind, namespace and
 * name, never object contents (a Pod spec may hold secrets in env values).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { mutate, type MutationOptions } from '../admission/mutate';
import {
  buildResponse,
  parseReview,
  ReviewError,
  type AdmissionOutcome,
  type AdmissionRequest,
} from '../admission/review';
import type { AdmissionMetrics } from './metrics';

export const BODY_LIMIT_BYTES = 3 * 1024 * 1024;

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

type Webhook = 'mutate' | 'validate';

export function createApp(deps: AppDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const json = express.json({ limit: BODY_LIMIT_BYTES, type: () => true, strict: true });

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

  app.post('/mutate', requireJson, json, (req, res) => {
    admit('mutate', req, res, deps, (request) => Promise.resolve(mutate(request, deps.mutation())));
  });
  app.post('/validate', requireJson, json, (req, res) => {
    admit('validate', req, res, deps, (request) => deps.validate(request));
  });

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
    const { status, message } = describeBodyError(error);
    deps.logger.warn({ path: req.path, status, error: message }, 'bad request');
    res.status(status).json({ error: message });
  });
  return app;
}

function requireJson(req: Request, res: Response, next: NextFunction): void {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    res
      .status(415)
      .json({ error: `content type must be application/json, got ${JSON.stringify(type)}` });
    return;
  }
  next();
}

function describeBodyError(error: unknown): { status: number; message: string } {
  const e = error as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.too.large')
    return { status: 413, message: `body larger than ${BODY_LIMIT_BYTES} bytes` };
  if (e.type === 'entity.parse.failed')
    return { status: 400, message: `body is not valid JSON: ${e.message ?? ''}` };
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, message: e.message ?? 'bad request' };
  }
  return { status: 500, message: 'internal error' };
}

function admit(
  webhook: Webhook,
  req: Request,
  res: Response,
  deps: AppDependencies,
  decide: (
    request: AdmissionRequest,
  ) => Promise<AdmissionOutcome & { result: string; findings?: { rule: string; mode: string }[] }>,
): void {
  const started = process.hrtime.bigint();
  let request: AdmissionRequest;
  try {
    request = parseReview(req.body);
  } catch (error) {
    if (!(error instanceof ReviewError)) throw error;
    deps.metrics.requests.inc({ webhook, operation: 'unknown', result: 'bad-request' });
    res.status(400).json({ error: `malformed AdmissionReview: ${error.message}` });
    return;
  }
  const finish = (result: string) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    deps.metrics.requests.inc({ webhook, operation: request.operation, result });
    deps.metrics.duration.observe({ webhook }, seconds);
    return seconds;
  };
  Promise.resolve()
    .then(() => decide(request))
    .then(
      (outcome) => {
        const payload = JSON.stringify(buildResponse(request, outcome));
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        });
        res.end(payload);
        for (const finding of outcome.findings ?? []) deps.metrics.denials.inc(finding);
        const seconds = finish(outcome.result);
        deps.logger.info(
          {
            uid: request.uid,
            webhook,
            kind: request.kind.kind,
            namespace: request.namespace,
            name: request.name ?? request.object?.metadata?.name,
            operation: request.operation,
            dryRun: request.dryRun,
            result: outcome.result,
            patchOperations: outcome.patch?.length ?? 0,
            ms: Math.round(seconds * 1e4) / 10,
          },
          'admission',
        );
      },
      (error: unknown) => {
        finish('error');
        deps.logger.error(
          {
            uid: request.uid,
            webhook,
            kind: request.kind.kind,
            err: { message: (error as Error)?.message, stack: (error as Error)?.stack },
          },
          'admission failed',
        );
        // A 500 lets the API server apply the webhook's failurePolicy: Ignore for mutation, Fail for validation.
        res.status(500).json({
          error: 'internal error while deciding; see the kafka-warden log for uid ' + request.uid,
        });
      },
    );
}
