/**
 * Fuzz target: no verdict flips from deny to allow. Changes the policy must deny
 * (support/denied-changes.ts: a scale-down without a plan, OrderedReady → Parallel, Parallel on
 * CREATE, a Kafka upgrade that skips the protocol pin, OnDelete, a ZooKeeper ensemble change), each
 * with seeded mutations that must not matter: noise (annotations and labels of other owners, key
 * order, unknown fields, env on other containers) and, on UPDATE, evasions (the change adds its own
 * kafka-warden.io/exempt-<rule> annotation or label, or the label the example policy's selector
 * exempts; renames or re-images the broker container; drops the label detection uses).
 *
 * Judged in process by the validating webhook's decision (validate + the engine) under the default
 * policy and docs/policy.md's example policy, and a sample through a real `serve` over HTTPS.
 * Invariant: every one is denied (allowed: false).
 */
import { parsePolicy } from '../../src/config/load-policy';
import type { AdmissionRequest } from '../../src/admission/review';
import { validate } from '../../src/admission/validate';
import type { KubeObject } from '../../src/core/k8s-types';
import { evaluate } from '../../src/policy/engine';
import type { Policy } from '../../src/policy/policy';
import { admissionReview } from '../support/pods';
import { startServe } from '../support/serve-process';
import {
  caseSeed,
  fuzzBudget,
  printSummary,
  random,
  replayHint,
  Tally,
  type Random,
} from './support/budget';
import {
  deniedChanges,
  EVASIONS,
  mutateIrrelevantly,
  NOISE,
  type DeniedChange,
  type IrrelevantMutation,
} from './support/denied-changes';
import { examplePolicyText } from './support/examples';
import type { Json } from './support/hostile-values';
import { FuzzClient } from './support/https-client';
import { clone } from './support/mutate-json';

const BUDGET = fuzzBudget({ cases: 10000, seconds: 15 });
/**
 * Evasions that flip a denial today and that no change in flight closes, counted and printed but
 * not failed on (docs/fuzz.md, "Known open"). None now: decoy-container (the broker renamed and a
 * copy of the old one under its name) is denied by workload-identity.
 */
const KNOWN_OPEN: readonly IrrelevantMutation[] = [];

/** Whether a flip is one of KNOWN_OPEN (alone, or in the combination that flipped). */
const knownOpen = (blamed: string) =>
  blamed.split('+').some((m) => (KNOWN_OPEN as readonly string[]).includes(m));
/** Through the real server: the same decision over HTTPS, for a sample. */
const HTTPS_CASES = Math.min(BUDGET.cases, 300);

const POLICIES: [name: string, policy: Policy | undefined][] = [
  ['default policy', undefined],
  ['docs/policy.md example', parsePolicy(examplePolicyText(), 'docs/policy.md')],
];

interface FlipCase {
  seed: number;
  change: DeniedChange;
  policy: [string, Policy | undefined];
  object: KubeObject;
  mutations: IrrelevantMutation[];
}

/** The case's object after each of its mutations, in order (the last is the case's object). */
function* mutationSteps(
  rng: Random,
  change: DeniedChange,
): Generator<{ object: KubeObject; mutation: IrrelevantMutation }> {
  const kinds: readonly IrrelevantMutation[] =
    change.operation === 'UPDATE' ? [...NOISE, ...EVASIONS] : NOISE;
  let object = clone(change.object as Json) as { [key: string]: Json };
  for (let i = 0, n = 1 + rng.int(4); i < n; i++) {
    const mutation = rng.pick(kinds);
    object = mutateIrrelevantly(rng, change, object, mutation);
    yield { object, mutation };
  }
}

function buildCase(seed: number, changes: DeniedChange[], policies = POLICIES): FlipCase {
  const rng = random(seed);
  const change = rng.pick(changes);
  const mutations: IrrelevantMutation[] = [];
  let object = change.object;
  for (const step of mutationSteps(rng, change)) {
    mutations.push(step.mutation);
    object = step.object;
  }
  return { seed, change, policy: rng.pick(policies), object, mutations };
}

function requestOf(change: DeniedChange, object: KubeObject): AdmissionRequest {
  return {
    apiVersion: 'admission.k8s.io/v1',
    uid: 'flip',
    kind: { group: 'apps', version: 'v1', kind: 'StatefulSet' },
    operation: change.operation,
    namespace: 'kafka',
    object,
    ...(change.oldObject ? { oldObject: change.oldObject } : {}),
    dryRun: false,
  };
}

async function allowed(request: AdmissionRequest, policy: Policy | undefined): Promise<boolean> {
  const outcome = await validate(request, (r) => evaluate(r, policy ? { policy } : {}));
  return outcome.allowed;
}

/**
 * What flipped a case: the evasions among its mutations up to the first after which the change
 * was allowed (the noise before them left out), or those mutations themselves when they are all
 * noise. Replayed from the seed, one evaluation per step: the report names the hole, not the
 * noise around it.
 */
async function blame(fuzz: FlipCase): Promise<string> {
  const rng = random(fuzz.seed);
  rng.next(); // buildCase's pick of the change
  const prefix: IrrelevantMutation[] = [];
  for (const step of mutationSteps(rng, fuzz.change)) {
    prefix.push(step.mutation);
    if (await allowed(requestOf(fuzz.change, step.object), fuzz.policy[1])) break;
  }
  const evasions = prefix.filter((m) => (EVASIONS as readonly string[]).includes(m));
  return [...new Set(evasions.length > 0 ? evasions : prefix)].sort().join('+');
}

test(
  `none of ${BUDGET.cases} mutated denied changes is allowed`,
  async () => {
    const changes = deniedChanges();
    // The bases themselves must be denied, or the fuzzing proves nothing.
    for (const change of changes) {
      for (const [name, policy] of POLICIES) {
        expect([
          change.name,
          name,
          await allowed(requestOf(change, change.object), policy),
        ]).toEqual([change.name, name, false]);
      }
    }
    const tried = new Tally();
    const flips = new Tally();
    const open = new Tally();
    const problems = new Map<string, string>();
    const started = performance.now();
    let ran = 0;
    for (; ran < BUDGET.cases && performance.now() < started + BUDGET.timeMs; ran++) {
      const seed = caseSeed(BUDGET, ran);
      const fuzz = buildCase(seed, changes);
      for (const m of new Set(fuzz.mutations)) tried.add(m);
      if (!(await allowed(requestOf(fuzz.change, fuzz.object), fuzz.policy[1]))) continue;
      const blamed = await blame(fuzz);
      if (knownOpen(blamed)) {
        open.add(
          blamed
            .split('+')
            .filter((m) => (KNOWN_OPEN as readonly string[]).includes(m))
            .join('+'),
        );
        continue;
      }
      flips.add(blamed);
      const key = `${fuzz.change.name} / ${blamed}`;
      if (!problems.has(key)) {
        problems.set(
          key,
          `seed ${seed}: ${fuzz.change.name} under the ${fuzz.policy[0]}, with ${fuzz.mutations.join(', ')}: allowed; ${replayHint('no-flips.test.ts', seed)}`,
        );
      }
    }
    printSummary(
      'no-flips',
      BUDGET,
      [
        `cases=${ran}/${BUDGET.cases}`,
        `in ${((performance.now() - started) / 1000).toFixed(1)}s;`,
        `flips ${problems.size > 0 ? flips.toString() : 'none'};`,
        `known open (not failed on) ${open.toString() || 'none'}`,
      ],
      tried,
    );
    expect([...problems.values()].sort()).toEqual([]);
  },
  BUDGET.testTimeoutMs,
);

test(`through serve over HTTPS, ${HTTPS_CASES} mutated denied changes are answered allowed: false`, async () => {
  const changes = deniedChanges();
  const serve = await startServe();
  const client = new FuzzClient(serve.port, serve.ca, 10_000);
  const outcomes = new Tally();
  const problems: string[] = [];
  try {
    for (let i = 0; i < HTTPS_CASES; i++) {
      const seed = caseSeed(BUDGET, i);
      // serve runs the default policy.
      const fuzz = buildCase(seed, changes, [POLICIES[0] as [string, undefined]]);
      const review = admissionReview(fuzz.object, {
        operation: fuzz.change.operation,
        ...(fuzz.change.oldObject ? { oldObject: fuzz.change.oldObject } : {}),
        uid: `flip-${seed}`,
      });
      const answer = await client.http2({
        path: '/validate',
        body: Buffer.from(JSON.stringify(review)),
        contentType: 'application/json',
        chunked: false,
      });
      const verdict =
        answer.status === 200
          ? (JSON.parse(answer.body) as { response: { allowed: boolean } }).response.allowed
          : undefined;
      const open = verdict === true && knownOpen(await blame(fuzz));
      outcomes.add(
        verdict === false
          ? 'denied'
          : open
            ? 'allowed-known-open'
            : verdict
              ? 'allowed'
              : `status ${answer.status}`,
      );
      if (verdict !== false && !open && problems.length < 10) {
        problems.push(
          `seed ${seed}: ${fuzz.change.name} with ${fuzz.mutations.join(', ')}: ${answer.status} ${answer.body.slice(0, 300)}`,
        );
      }
    }
  } finally {
    client.close();
    serve.child.kill('SIGKILL');
  }
  printSummary('no-flips over HTTPS', BUDGET, [
    `cases=${HTTPS_CASES};`,
    `outcomes ${outcomes.toString()}`,
  ]);
  expect(problems).toEqual([]);
}, 120_000);
