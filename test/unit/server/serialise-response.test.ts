import {
  buildResponse,
  serialiseOnce,
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
  test('a copy of a kept outcome with something changed is serialised afresh, never stale', () => {
    const kept: AdmissionOutcome = { allowed: true, warnings: ['first'] };
    serialiseOnce(kept);
    const changed = { ...kept, warnings: ['second'] };
    const request = { apiVersion: 'admission.k8s.io/v1', uid: 'u' };
    expect(serialiseResponse(request, changed).text).toBe(
      JSON.stringify(buildResponse(request, changed)),
    );
  });

  test.each(outcomes)(
    '%s: the same text as JSON.stringify of the response, and its byte length',
    (_n, outcome) => {
      for (const request of requests) {
        const expected = JSON.stringify(buildResponse(request, outcome));
        const fresh = serialiseResponse(request, outcome);
        expect(fresh.text).toBe(expected);
        expect(fresh.bytes).toBe(Buffer.byteLength(expected));
        expect(fresh.operations).toBe(outcome.patch?.length ?? 0);
        // An outcome serialised once (as the mutation cache keeps it) answers every request right.
        const once = { ...outcome };
        serialiseOnce(once);
        const kept = serialiseResponse(request, once);
        expect(kept).toEqual(fresh);
        // ... as does one serialised from the patch text the caller already has.
        const fromText = { ...outcome };
        serialiseOnce(fromText, {
          json: JSON.stringify(outcome.patch ?? []),
          operations: outcome.patch?.length ?? 0,
        });
        expect(serialiseResponse(request, fromText)).toEqual(fresh);
        expect((JSON.parse(kept.text) as { response: { uid: string } }).response.uid).toBe(
          request.uid,
        );
      }
    },
  );
});
