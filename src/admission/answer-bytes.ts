/**
 * The bytes serve writes for an AdmissionReview answer. The plain statement of them is
 * `plainAnswerBytes`: JSON.stringify of the answer review.ts builds (`buildResponse`). Everything
 * else here is a faster way to the same bytes, for the answers serve gives most often: the mutation
 * cache's, whose patch (kilobytes for a broker pod) would otherwise be base64-encoded and
 * JSON-escaped again per request. test/unit/admission/answer-bytes.test.ts holds `answerBytes`
 * byte-equal to `plainAnswerBytes` over the golden cases' answers and generated outcomes.
 *
 * The tricks, all in this file:
 * - an outcome's answer is serialised once, less its review apiVersion and uid (which vary per
 *   request), and kept in a WeakMap keyed by the outcome object, so a copy with anything changed
 *   is serialised afresh;
 * - the patch goes into that text as base64 written between JSON slices, never re-escaped;
 * - an outcome whose patch the caller has only as the UTF-8 bytes of its JSON (`withPatchBytes`)
 *   parses it only if something reads `patch` (the handler does not).
 */
import {
  buildResponse,
  responseFields,
  type AdmissionOutcome,
  type AdmissionRequest,
} from './review';

/** An answer's JSON text, its length in bytes (content-length) and its patch operations (logs). */
export interface AnswerBytes {
  text: string;
  bytes: number;
  operations: number;
}

type ReviewIdentity = Pick<AdmissionRequest, 'apiVersion' | 'uid'>;

/** The reference: the answer review.ts builds, as JSON. */
export function plainAnswerBytes(request: ReviewIdentity, outcome: AdmissionOutcome): AnswerBytes {
  const text = JSON.stringify(buildResponse(request, outcome));
  return { text, bytes: Buffer.byteLength(text), operations: outcome.patch?.length ?? 0 };
}

/** The same bytes as plainAnswerBytes, from what keepAnswer kept for this outcome when it can. */
export function answerBytes(request: ReviewIdentity, outcome: AdmissionOutcome): AnswerBytes {
  const { tail, tailBytes, operations } = keptAnswers.get(outcome) ?? serialiseTail(outcome);
  const head = `{"apiVersion":${JSON.stringify(request.apiVersion)},"kind":"AdmissionReview","response":{"uid":${JSON.stringify(request.uid)},`;
  return { text: head + tail, bytes: Buffer.byteLength(head) + tailBytes, operations };
}

/**
 * outcome.patch as the caller already has it: the UTF-8 bytes of its JSON text (what base64
 * encodes: a caller that builds them from kept bytes spares a UTF-8 encoding of the whole patch per
 * answer) and its number of operations.
 */
export interface PatchBytes {
  utf8: Buffer;
  operations: number;
}

/**
 * Serialises an outcome that will be answered many times, for answerBytes. With `patch`,
 * outcome.patch is not read (it may be computed on demand, see withPatchBytes).
 */
export function keepAnswer(outcome: AdmissionOutcome, patch?: PatchBytes): void {
  keptAnswers.set(outcome, serialiseTail(outcome, patch));
}

/**
 * A copy of `outcome` whose patch is the JSON in `patch.utf8`, kept for answerBytes. Its `patch`
 * is parsed from the bytes only when read.
 */
export function withPatchBytes<T extends AdmissionOutcome>(outcome: T, patch: PatchBytes): T {
  let parsed: unknown[] | undefined;
  const own: T = { ...outcome };
  Object.defineProperty(own, 'patch', {
    enumerable: true,
    get: () => (parsed ??= JSON.parse(patch.utf8.toString('utf8')) as unknown[]),
  });
  keepAnswer(own, patch);
  return own;
}

/** An answer's JSON text from after its uid to the end, and that text's length in bytes. */
interface AnswerTail {
  readonly tail: string;
  readonly tailBytes: number;
  readonly operations: number;
}

const keptAnswers = new WeakMap<AdmissionOutcome, AnswerTail>();

function serialiseTail(outcome: AdmissionOutcome, patch?: PatchBytes): AnswerTail {
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
  const encoded = (patch ? patch.utf8 : Buffer.from(JSON.stringify(outcome.patch))).toString(
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
