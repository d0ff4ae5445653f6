/**
 * AdmissionReview in and out (admission.k8s.io/v1, and v1beta1 answered in kind). HTTP ends in
 * src/server; this module turns a parsed body into a typed request or a precise complaint, and
 * builds responses the API server accepts: the request uid echoed, a base64 JSONPatch only when
 * non-empty, denials in status.message, warnings within the API server's limits.
 */
import type { KubeObject } from '../core/k8s-types';
import { isRecord } from '../core/k8s-types';
import { quoteInput } from '../core/limits';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const OPERATIONS = new Set<Operation>(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
const API_VERSIONS = new Set(['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']);

export interface AdmissionRequest {
  apiVersion: string;
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  object?: KubeObject;
  oldObject?: KubeObject;
  dryRun: boolean;
  userInfo?: { username?: string; groups?: string[] };
}

export class ReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewError';
  }
}

/** Validates the shape of an AdmissionReview; throws ReviewError naming the first problem. */
export function parseReview(body: unknown): AdmissionRequest {
  if (!isRecord(body)) throw new ReviewError('body is not a JSON object');
  if (body.kind !== 'AdmissionReview') {
    throw new ReviewError(`kind must be "AdmissionReview", got ${quoteInput(body.kind)}`);
  }
  const apiVersion = body.apiVersion;
  if (typeof apiVersion !== 'string' || !API_VERSIONS.has(apiVersion)) {
    throw new ReviewError(
      `apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1, got ${quoteInput(apiVersion)}`,
    );
  }
  const request = body.request;
  if (!isRecord(request)) throw new ReviewError('request is missing or not an object');
  if (typeof request.uid !== 'string' || request.uid === '') {
    throw new ReviewError('request.uid is missing');
  }
  if (typeof request.operation !== 'string' || !OPERATIONS.has(request.operation as Operation)) {
    throw new ReviewError(
      `request.operation ${quoteInput(request.operation)} is not one of CREATE, UPDATE, DELETE, CONNECT`,
    );
  }
  const kind = request.kind;
  if (!isRecord(kind) || typeof kind.kind !== 'string') {
    throw new ReviewError('request.kind is missing or has no kind');
  }
  for (const field of ['object', 'oldObject'] as const) {
    const value = request[field];
    if (value !== undefined && value !== null && !isRecord(value)) {
      throw new ReviewError(`request.${field} is not an object`);
    }
  }
  return {
    apiVersion,
    uid: request.uid,
    kind: {
      group: typeof kind.group === 'string' ? kind.group : '',
      version: typeof kind.version === 'string' ? kind.version : '',
      kind: kind.kind,
    },
    operation: request.operation as Operation,
    ...(typeof request.name === 'string' ? { name: request.name } : {}),
    ...(typeof request.namespace === 'string' ? { namespace: request.namespace } : {}),
    ...(resourceOf(request.resource) ?? {}),
    ...(typeof request.subResource === 'string' ? { subResource: request.subResource } : {}),
    ...(isRecord(request.object) ? { object: request.object } : {}),
    ...(isRecord(request.oldObject) ? { oldObject: request.oldObject } : {}),
    dryRun: request.dryRun === true,
    ...(isRecord(request.userInfo) ? { userInfo: request.userInfo } : {}),
  };
}

function resourceOf(value: unknown): Pick<AdmissionRequest, 'resource'> | undefined {
  if (!isRecord(value) || typeof value.resource !== 'string') return undefined;
  return {
    resource: {
      group: typeof value.group === 'string' ? value.group : '',
      version: typeof value.version === 'string' ? value.version : '',
      resource: value.resource,
    },
  };
}

export interface AdmissionOutcome {
  allowed: boolean;
  /** RFC 6902 operations; omitted from the response when empty. */
  patch?: readonly unknown[];
  /** Denial text: what is wrong, why it is unsafe, how to proceed. */
  message?: string;
  code?: number;
  warnings?: string[];
  /** Key/values the API server records in its audit log (admission.k8s.io/v1 auditAnnotations). */
  auditAnnotations?: Record<string, string>;
}

export function encodePatch(patch: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(patch)).toString('base64');
}

/** An answer's JSON text from after its uid to the end, and that text's length in bytes. */
interface SerialisedAnswer {
  readonly tail: string;
  readonly tailBytes: number;
  /** How many patch operations the answer carries, for the log line. */
  readonly operations: number;
}

/**
 * Answers serialised once, for outcomes answered many times (the mutation cache's): the same patch,
 * kilobytes for a broker pod, is then neither base64-encoded nor JSON-escaped per request. Keyed by
 * the outcome object itself, so a copy of an outcome with anything changed is serialised afresh.
 */
const serialisedAnswers = new WeakMap<AdmissionOutcome, SerialisedAnswer>();

/** outcome.patch as the caller already has it: its JSON text and its number of operations. */
export interface PatchText {
  json: string;
  operations: number;
}

/**
 * Serialises everything of an answer but the review's apiVersion and uid, which vary per request,
 * and keeps it for serialiseResponse. With `patch`, outcome.patch is not read (it may be computed
 * on demand).
 */
export function serialiseOnce(outcome: AdmissionOutcome, patch?: PatchText): void {
  serialisedAnswers.set(outcome, serialiseAnswer(outcome, patch));
}

function serialiseAnswer(outcome: AdmissionOutcome, patch?: PatchText): SerialisedAnswer {
  const operations = patch ? patch.operations : (outcome.patch?.length ?? 0);
  // Field by field: a spread would read `patch`, which may be computed on demand.
  const { allowed, message, code, warnings, auditAnnotations } = outcome;
  const json = JSON.stringify(
    responseFields({ allowed, message, code, warnings, auditAnnotations }),
  );
  if (operations === 0) {
    // '{"allowed":true,...}' becomes '"allowed":true,...}}': it continues after '"uid":"…",' and
    // closes the response and the review.
    const tail = `${json.slice(1)}}`;
    return { tail, tailBytes: Buffer.byteLength(tail), operations };
  }
  // The patch goes in after "allowed", where buildResponse puts it, as text: base64 needs no JSON
  // escaping and is one byte per character, so the patch is neither scanned nor re-encoded.
  const encoded = Buffer.from(patch ? patch.json : JSON.stringify(outcome.patch)).toString(
    'base64',
  );
  const allowedEnd = `{"allowed":${outcome.allowed}`.length;
  const before = `${json.slice(1, allowedEnd)},"patchType":"JSONPatch","patch":"`;
  const after = `"${json.slice(allowedEnd)}}`;
  return {
    tail: before + encoded + after,
    tailBytes: Buffer.byteLength(before) + encoded.length + Buffer.byteLength(after),
    operations,
  };
}

/**
 * The AdmissionReview answer as JSON text with its length in bytes (for content-length), equal
 * to JSON.stringify(buildResponse(request, outcome)), and the number of patch operations in it.
 */
export function serialiseResponse(
  request: Pick<AdmissionRequest, 'apiVersion' | 'uid'>,
  outcome: AdmissionOutcome,
): { text: string; bytes: number; operations: number } {
  const { tail, tailBytes, operations } =
    serialisedAnswers.get(outcome) ?? serialiseAnswer(outcome);
  const head = `{"apiVersion":${JSON.stringify(request.apiVersion)},"kind":"AdmissionReview","response":{"uid":${JSON.stringify(request.uid)},`;
  return { text: head + tail, bytes: Buffer.byteLength(head) + tailBytes, operations };
}

const WARNING_MAX = 256;
const WARNINGS_TOTAL_MAX = 4096;

export function buildResponse(
  request: Pick<AdmissionRequest, 'apiVersion' | 'uid'>,
  outcome: AdmissionOutcome,
) {
  const response = { uid: request.uid, ...responseFields(outcome) };
  return { apiVersion: request.apiVersion, kind: 'AdmissionReview', response };
}

/** The response's fields after its uid: serialiseAnswer writes the uid per request in front. */
function responseFields(outcome: AdmissionOutcome): Record<string, unknown> {
  const response: Record<string, unknown> = { allowed: outcome.allowed };
  if (outcome.patch && outcome.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = encodePatch(outcome.patch);
  }
  if (!outcome.allowed) {
    response.status = {
      code: outcome.code ?? 403,
      message: outcome.message ?? 'denied by kafka-warden',
      reason: 'Forbidden',
    };
  }
  const warnings = limitWarnings(outcome.warnings ?? []);
  if (warnings.length > 0) response.warnings = warnings;
  if (outcome.auditAnnotations && Object.keys(outcome.auditAnnotations).length > 0) {
    response.auditAnnotations = outcome.auditAnnotations;
  }
  return response;
}

/** The API server rejects warnings over 256 characters and truncates beyond 4 KiB in total. */
export function limitWarnings(warnings: string[]): string[] {
  const out: string[] = [];
  let total = 0;
  for (const warning of warnings) {
    const text = warning.length > WARNING_MAX ? `${warning.slice(0, WARNING_MAX - 1)}…` : warning;
    if (total + text.length > WARNINGS_TOTAL_MAX) break;
    out.push(text);
    total += text.length;
  }
  return out;
}
