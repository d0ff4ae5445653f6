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

const WARNING_MAX = 256;
const WARNINGS_TOTAL_MAX = 4096;

/**
 * The AdmissionReview answer: the request's apiVersion and uid, and the outcome's fields. Its
 * JSON.stringify is what serve sends; src/admission/answer-bytes.ts writes those bytes faster and
 * is held equal to this.
 */
export function buildResponse(
  request: Pick<AdmissionRequest, 'apiVersion' | 'uid'>,
  outcome: AdmissionOutcome,
) {
  const response = { uid: request.uid, ...responseFields(outcome) };
  return { apiVersion: request.apiVersion, kind: 'AdmissionReview', response };
}

/** The response's fields after its uid (answer-bytes.ts writes the uid per request in front). */
export function responseFields(outcome: AdmissionOutcome): Record<string, unknown> {
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
