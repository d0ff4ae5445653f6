/**
 * answerBytes, the fast path to an answer's bytes, against its plain counterpart plainAnswerBytes
 * (JSON.stringify of review.ts's buildResponse): byte-equal text, its byte length and its number of
 * patch operations, whether the outcome is serialised per request, kept once (keepAnswer, as the
 * mutation cache keeps it), kept from patch bytes, or carried as patch bytes (withPatchBytes). Over
 * hand-picked outcomes, the mutating webhook's real answers for every golden case (fresh and from
 * the mutation cache, for a pod with another token volume), and seeded generated outcomes with
 * warnings, denials, patches and odd strings.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  answerBytes,
  keepAnswer,
  plainAnswerBytes,
  withPatchBytes,
  type AnswerBytes,
} from '../../../src/admission/answer-bytes';
import { mutate } from '../../../src/admission/mutate';
import { MutationCache } from '../../../src/admission/mutation-cache';
import { parseReview, type AdmissionOutcome } from '../../../src/admission/review';
import { resolveConfig } from '../../../src/core/config';
import type { KubeObject } from '../../../src/core/k8s-types';
import { webhookRefusals } from '../../../src/core/webhook-scope';
import { loadConfigFile } from '../../../src/config/load-config';
import { goldenCases } from '../../golden/cases';
import { admissionReview, podFromStatefulSet } from '../../support/pods';
import { seededRandom } from '../../support/seeded-random';

type Identity = { apiVersion: string; uid: string };

const requests: Identity[] = [
  { apiVersion: 'admission.k8s.io/v1', uid: 'e911857d-c318-11e8-bbad-025000000001' },
  { apiVersion: 'admission.k8s.io/v1beta1', uid: 'uid with "quotes" and ünïcode' },
];

/** Every way serve can come to an outcome's bytes, each of which must equal the plain one. */
function expectEveryPathPlain(request: Identity, outcome: AdmissionOutcome): void {
  const plain = plainAnswerBytes(request, outcome);
  expect(plain.bytes).toBe(Buffer.byteLength(plain.text));
  const paths: [string, AnswerBytes][] = [['per request', answerBytes(request, outcome)]];
  const once = { ...outcome };
  keepAnswer(once);
  paths.push(['kept once', answerBytes(request, once)]);
  const patch = {
    utf8: Buffer.from(JSON.stringify(outcome.patch ?? [])),
    operations: outcome.patch?.length ?? 0,
  };
  const fromBytes = { ...outcome };
  keepAnswer(fromBytes, patch);
  paths.push(['kept from patch bytes', answerBytes(request, fromBytes)]);
  const carried = withPatchBytes(outcome, patch);
  paths.push(['carried as patch bytes', answerBytes(request, carried)]);
  for (const [way, bytes] of paths) expect({ way, ...bytes }).toEqual({ way, ...plain });
  // The carried patch reads as the outcome's own.
  expect(carried.patch).toEqual(outcome.patch ?? []);
}

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

describe('answerBytes equals JSON.stringify of the answer', () => {
  test('a copy of a kept outcome with something changed is serialised afresh, never stale', () => {
    const kept: AdmissionOutcome = { allowed: true, warnings: ['first'] };
    keepAnswer(kept);
    const changed = { ...kept, warnings: ['second'] };
    const request = requests[0] as Identity;
    expect(answerBytes(request, changed)).toEqual(plainAnswerBytes(request, changed));
  });

  test.each(outcomes)('%s, every way', (_n, outcome) => {
    for (const request of requests) expectEveryPathPlain(request, outcome);
  });

  test('for seeded generated outcomes: warnings, denials, patches, odd strings', () => {
    const seed = 0x5eed15;
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const odd = [
      '',
      'plain',
      '"quoted" \\ back\\slash',
      'line\nbreak\ttab\r\u0000nul\u001f',
      'ünïcödé — ✓ ß',
      '😀 astral',
      '\ud800 lone high',
      'lone low \udc00',
      '\u2028\u2029 separators',
      '</script>',
      'x'.repeat(300),
    ];
    const text = () =>
      Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(odd)).join(pick(['', ' ']));
    const value = (depth: number): unknown =>
      depth > 2
        ? text()
        : pick([
            () => text(),
            () => Math.floor(random() * 1e6) - 5e5,
            () => random() < 0.5,
            () => null,
            () => Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1)),
            () => ({ [text()]: value(depth + 1), name: text() }),
          ])();
    for (let i = 0; i < 2000; i++) {
      const allowed = random() < 0.6;
      const outcome: AdmissionOutcome = { allowed };
      if (random() < 0.6) {
        outcome.patch = Array.from({ length: Math.floor(random() * 5) }, () => ({
          op: pick(['add', 'replace', 'remove']),
          path: `/${text()}`,
          value: value(0),
        }));
      }
      if (!allowed && random() < 0.8) outcome.message = text();
      if (random() < 0.3) outcome.code = pick([400, 403, 422, 500]);
      if (random() < 0.5) {
        outcome.warnings = Array.from({ length: Math.floor(random() * 30) }, () =>
          pick([text(), 'w'.repeat(250 + Math.floor(random() * 20))]),
        );
      }
      if (random() < 0.3) outcome.auditAnnotations = random() < 0.2 ? {} : { [text()]: text() };
      const request = { apiVersion: pick(['admission.k8s.io/v1', text()]), uid: text() };
      try {
        expectEveryPathPlain(request, outcome);
      } catch (error) {
        throw new Error(`seed ${seed}, outcome ${i}: ${(error as Error).message}`);
      }
    }
  });
});

// Cases whose configuration the webhook refuses to serve (webhook-scope.ts) have no answers here.
const servedCases = goldenCases()
  .map((testCase) => ({
    testCase,
    config: testCase.config ? loadConfigFile(testCase.config) : resolveConfig(),
  }))
  .filter(({ config }) => webhookRefusals(config).length === 0);

describe.each(servedCases.map((c) => [c.testCase.name, c] as const))(
  "the mutating webhook's answers for %s",
  (_name, { testCase, config }) => {
    const workloads = parseAllDocuments(readFileSync(testCase.input, 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o?.kind === 'StatefulSet' || o?.kind === 'Deployment');
    test('fresh and from the mutation cache, every way', () => {
      const cache = new MutationCache();
      const options = { config, mutateStatefulSets: true };
      for (const workload of workloads) {
        const fresh = mutate(parseReview(admissionReview(structuredClone(workload))), options);
        const answers: AdmissionOutcome[] = [fresh];
        // The same pod with two token volumes: a miss, then a hit carried as patch bytes.
        for (const token of ['kube-api-access-aaaaa', 'kube-api-access-bbbbb']) {
          const pod = podFromStatefulSet(workload, 0);
          const spec = pod.spec as {
            volumes?: unknown[];
            containers: { volumeMounts?: unknown[] }[];
          };
          spec.volumes = [...(spec.volumes ?? []), { name: token, projected: { sources: [] } }];
          for (const container of spec.containers) {
            container.volumeMounts = [
              ...(container.volumeMounts ?? []),
              {
                name: token,
                readOnly: true,
                mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
              },
            ];
          }
          answers.push(cache.mutate(parseReview(admissionReview(pod)), options));
        }
        for (const answer of answers) {
          for (const request of requests) {
            expect(answerBytes(request, answer)).toEqual(plainAnswerBytes(request, answer));
            expectEveryPathPlain(request, answer);
          }
        }
      }
    });
  },
);
