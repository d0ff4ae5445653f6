import {
  buildResponse,
  serialiseAnswer,
  serialiseResponse,
  type AdmissionOutcome,
} from '../../../src/admission/review';

const outcomes: [string, AdmissionOutcome][] = [
  ['allowed, nothing else', { allowed: true }],
  [
    'allowed with a patch',
    { allowed: true, patch: [{ op: 'add', path: '/metadata/labels/a', value: 'ü "quoted"' }] },
  ],
  ['allowed with an empty patch', { allowed: true, patch: [] }],
  [
    'denied, with warnings and audit annotations',
    {
      allowed: false,
      code: 403,
      message: 'no: "line"\nnext — ✓',
      warnings: ['first', 'ß'.repeat(300)],
      auditAnnotations: { 'injection-skipped': 'KW_X' },
    },
  ],
];
const requests = [
  { apiVersion: 'admission.k8s.io/v1', uid: 'e911857d-c318-11e8-bbad-025000000001' },
  { apiVersion: 'admission.k8s.io/v1beta1', uid: 'uid with "quotes" and ünïcode' },
];

describe('serialiseResponse', () => {
  test.each(outcomes)(
    '%s: the same text as JSON.stringify of the response, and its byte length',
    (_n, outcome) => {
      for (const request of requests) {
        const expected = JSON.stringify(buildResponse(request, outcome));
        const fresh = serialiseResponse(request, outcome);
        expect(fresh.text).toBe(expected);
        expect(fresh.bytes).toBe(Buffer.byteLength(expected));
        // An outcome serialised once (as the mutation cache keeps it) answers every request right.
        const kept = serialiseResponse(request, {
          ...outcome,
          serialised: serialiseAnswer(outcome),
        });
        expect(kept).toEqual(fresh);
        expect((JSON.parse(kept.text) as { response: { uid: string } }).response.uid).toBe(
          request.uid,
        );
      }
    },
  );
});
