/**
 * POST /mutate and POST /validate on plain Node request/response objects. Express routes to these
 * handlers, and AdmissionServer dispatches the two admission paths to the very same handlers before
 * express's middleware stack: express's per-request overhead alone takes a large share of the
 * throughput ceiling (measured in bench/README.md, "Admission webhooks"), and admission calls are
 * the hot path. Bodies, content types, status codes, logs and metrics live here; decisions in
 * src/admission.
 * Logs carry the request uid, kind, namespace and name, never object contents (a Pod spec may hold
 * secrets in env values).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { constants as http2Constants } from 'node:http2';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { answerBytes, type AnswerBytes } from '../admission/answer-bytes';
import {
  parseReview,
  ReviewError,
  type AdmissionOutcome,
  type AdmissionRequest,
} from '../admission/review';
import { MAX_OBJECT_DEPTH, nestsDeeperThan, quoteInput } from '../core/limits';
import type { AdmissionMetrics } from './metrics';

export const BODY_LIMIT_BYTES = 3 * 1024 * 1024;

/**
 * How long a request may take to send its body. The API server sends a review at once (its own
 * deadline for the whole call is at most 30 s); a client that trickles one holds a connection or
 * an HTTP/2 stream and its buffered bytes, and neither protocol's server times a body out here.
 */
export const BODY_TIMEOUT_MS = 10_000;

export type Webhook = 'mutate' | 'validate';

export interface Decision extends AdmissionOutcome {
  result: string;
  /** Findings that denied, warned or were audited, for metrics. */
  findings?: { rule: string; mode: string }[];
}

export interface HandlerDependencies {
  logger: Logger;
  metrics: AdmissionMetrics;
}

/**
 * What a handler needs of a request and a response: the common ground of node:http's
 * IncomingMessage/ServerResponse (HTTP/1.1, and express, which extends them) and node:http2's
 * compatibility Http2ServerRequest/Http2ServerResponse, so one handler serves both protocols.
 */
export type RequestStream = Readable & {
  readonly headers: IncomingHttpHeaders;
  /** HTTP/2 only: the request's stream. */
  readonly stream?: { close(code?: number): void };
  /** '1.1' or '2.0': logged, because which one the API server negotiated matters for latency. */
  readonly httpVersion?: string;
};
export interface ResponseSink {
  readonly headersSent: boolean;
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  end(body: string): unknown;
  once(event: 'finish', listener: () => void): unknown;
}

export type Handler = (req: RequestStream, res: ResponseSink) => void;

export function createAdmissionHandler(
  webhook: Webhook,
  deps: HandlerDependencies,
  decide: (request: AdmissionRequest) => Decision | Promise<Decision>,
  bodyTimeoutMs = BODY_TIMEOUT_MS,
): Handler {
  return (req, res) => {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      reject(res, 415, `content type must be application/json, got ${JSON.stringify(type)}`);
      req.resume();
      return;
    }
    readBody(req, bodyTimeoutMs, (error, body) => {
      if (error) {
        // The rest of the body is not waited for: the connection (HTTP/1.1) or stream (HTTP/2)
        // goes once the answer is out.
        reject(res, error instanceof BodyTimeout ? 408 : 413, error.message, abandoning(req));
        abandon(req, res);
        return;
      }
      // Whatever a body makes the code below do, the answer is this request's 500, never an exit:
      // the process also answers every other caller, and with failurePolicy Fail a crash-looping
      // webhook stops every Kafka change in the cluster.
      try {
        answerBody(webhook, body as string, req.httpVersion, res, deps, decide);
      } catch (unexpected) {
        failUnexpectedly(webhook, res, deps, unexpected);
      }
    });
  };
}

function answerBody(
  webhook: Webhook,
  body: string,
  httpVersion: string | undefined,
  res: ResponseSink,
  deps: HandlerDependencies,
  decide: (request: AdmissionRequest) => Decision | Promise<Decision>,
): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    reject(res, 400, `body is not valid JSON: ${(e as Error).message}`);
    return;
  }
  // Before anything walks the object: comparisons, cache keys and answers serialise it with
  // recursive code that a few thousand levels overflow.
  if (nestsDeeperThan(parsed, MAX_OBJECT_DEPTH + REVIEW_ENVELOPE_DEPTH)) {
    deps.metrics.requests.inc({ webhook, operation: 'unknown', result: 'bad-request' });
    reject(
      res,
      400,
      `malformed AdmissionReview: the object nests deeper than ${MAX_OBJECT_DEPTH} levels`,
    );
    return;
  }
  admit(webhook, parsed, httpVersion, res, deps, decide);
}

/**
 * A request's identifying field as logged: the API server's are short (a UID, DNS names), but any
 * client reaching the port chooses them, and a log line per request must not carry megabytes.
 */
const LOGGED_FIELD_MAX = 256;
function logged(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value : quoteInput(value);
  return text.length > LOGGED_FIELD_MAX ? `${text.slice(0, LOGGED_FIELD_MAX)}…` : text;
}

/** AdmissionReview → request → object: the levels around the admitted object. */
const REVIEW_ENVELOPE_DEPTH = 2;

function failUnexpectedly(
  webhook: Webhook,
  res: ResponseSink,
  deps: HandlerDependencies,
  error: unknown,
): void {
  deps.metrics.requests.inc({ webhook, operation: 'unknown', result: 'error' });
  deps.logger.error(
    { webhook, err: { message: (error as Error)?.message, stack: (error as Error)?.stack } },
    'admission failed',
  );
  reject(res, 500, 'internal error while reading the request; see the kafka-warden log');
}

class BodyTimeout extends Error {}

/**
 * Headers for an answer after which abandon() ends the connection. HTTP/1.1 says so: a client
 * that keeps connections alive (Go's, the API server's) would otherwise send its next request on
 * a connection about to be closed and see it reset. HTTP/2 forbids the header; only the stream
 * ends there.
 */
function abandoning(req: RequestStream): OutgoingHttpHeaders {
  return req.stream ? {} : { connection: 'close' };
}

/**
 * Stops receiving a request that was answered before its body ended. HTTP/2: RST_STREAM with
 * NO_ERROR (RFC 9113 §8.1), which node:http2 sends once the answer is flushed and which frees the
 * client's stream slot too (waiting for the compatibility response's 'finish' would wait for the
 * client). HTTP/1.1: the connection goes once the answer is out.
 */
function abandon(req: RequestStream, res: ResponseSink): void {
  if (req.stream) req.stream.close(http2Constants.NGHTTP2_NO_ERROR);
  else res.once('finish', () => req.destroy());
}

function readBody(
  req: RequestStream,
  timeoutMs: number,
  done: (error: Error | null, body?: string) => void,
): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > BODY_LIMIT_BYTES) {
    req.resume();
    done(new Error(`body larger than ${BODY_LIMIT_BYTES} bytes`));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    clearTimeout(deadline);
    chunks.length = 0;
    done(error);
  };
  const deadline = setTimeout(
    () => fail(new BodyTimeout(`body not received within ${timeoutMs} ms`)),
    timeoutMs,
  );
  req.on('data', (chunk: Buffer) => {
    if (failed) return;
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) {
      fail(new Error(`body larger than ${BODY_LIMIT_BYTES} bytes`));
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (failed) return;
    clearTimeout(deadline);
    done(
      null,
      chunks.length === 1
        ? (chunks[0] as Buffer).toString('utf8')
        : Buffer.concat(chunks).toString('utf8'),
    );
  });
  req.on('error', fail);
  // A client gone before its body ended: nothing to answer, and the deadline must not hold it.
  req.on('close', () => {
    if (!failed && !req.readableEnded) {
      failed = true;
      clearTimeout(deadline);
      chunks.length = 0;
    }
  });
}

export function reject(
  res: ResponseSink,
  status: number,
  message: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.headersSent) return;
  const payload = JSON.stringify({ error: message });
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function admit(
  webhook: Webhook,
  body: unknown,
  httpVersion: string | undefined,
  res: ResponseSink,
  deps: HandlerDependencies,
  decide: (request: AdmissionRequest) => Decision | Promise<Decision>,
): void {
  const started = process.hrtime.bigint();
  let request: AdmissionRequest;
  try {
    request = parseReview(body);
  } catch (error) {
    if (!(error instanceof ReviewError)) throw error;
    deps.metrics.requests.inc({ webhook, operation: 'unknown', result: 'bad-request' });
    reject(res, 400, `malformed AdmissionReview: ${error.message}`);
    return;
  }
  const answer = (outcome: Decision) => {
    let payload: AnswerBytes;
    try {
      // JSON.stringify(buildResponse(request, outcome)), as bytes written faster (answer-bytes.ts).
      payload = answerBytes(request, outcome);
    } catch (error) {
      fail(error);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.bytes });
    res.end(payload.text);
    for (const finding of outcome.findings ?? []) deps.metrics.denials.inc(finding);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    deps.metrics.requests.inc({ webhook, operation: request.operation, result: outcome.result });
    deps.metrics.duration.observe({ webhook }, seconds);
    deps.logger.info(
      {
        uid: logged(request.uid),
        webhook,
        kind: logged(request.kind.kind),
        namespace: logged(request.namespace),
        name: logged(request.name ?? request.object?.metadata?.name),
        operation: request.operation,
        dryRun: request.dryRun,
        result: outcome.result,
        patchOperations: payload.operations,
        ms: Math.round(seconds * 1e4) / 10,
        http: httpVersion,
      },
      'admission',
    );
  };
  const fail = (error: unknown) => {
    deps.metrics.requests.inc({ webhook, operation: request.operation, result: 'error' });
    deps.logger.error(
      {
        uid: logged(request.uid),
        webhook,
        kind: logged(request.kind.kind),
        err: { message: (error as Error)?.message, stack: (error as Error)?.stack },
      },
      'admission failed',
    );
    // A 500 lets the API server apply the webhook's failurePolicy: Ignore for mutation, Fail for validation.
    reject(
      res,
      500,
      `internal error while deciding; see the kafka-warden log for uid ${request.uid}`,
    );
  };
  let decided: Decision | Promise<Decision>;
  try {
    decided = decide(request);
  } catch (error) {
    fail(error);
    return;
  }
  // Mutation decides synchronously: answer without a trip through the microtask queue.
  if (decided instanceof Promise) decided.then(answer, fail);
  else answer(decided);
}
