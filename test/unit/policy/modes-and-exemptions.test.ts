/**
 * Every rule, in one failing situation each, under every mode and every kind of exemption: what the
 * engine does with a failure is the same for all rules, and each must take part.
 */
import { parsePolicy } from '../../../src/config/load-policy';
import { evaluate } from '../../../src/policy/engine';
import { DEFAULT_RULES } from '../../../src/policy/rules';
import type { PolicyRequest } from '../../../src/policy/types';
import { create, kafka, remove, update, zookeeper } from './fixtures';

type Failing = (
  annotations?: Record<string, string>,
  labels?: Record<string, string>,
) => PolicyRequest;

const FAILING: [rule: string, failing: Failing][] = [
  [
    'ordered-ready',
    (annotations, labels) =>
      create(kafka({ annotations, labels, spec: { podManagementPolicy: 'Parallel' } })),
  ],
  [
    'update-strategy',
    (annotations, labels) =>
      create(kafka({ annotations, labels, spec: { updateStrategy: { type: 'OnDelete' } } })),
  ],
  [
    'broker-scaling',
    (annotations, labels) => update(kafka(), kafka({ replicas: 5, annotations, labels })),
  ],
  [
    'zookeeper-ensemble',
    (annotations, labels) => update(zookeeper(), zookeeper({ replicas: 5, annotations, labels })),
  ],
  [
    'kafka-version',
    (annotations, labels) =>
      update(
        kafka({ image: 'confluentinc/cp-kafka:5.5.0' }),
        kafka({ image: 'confluentinc/cp-kafka:6.1.0', annotations, labels }),
      ),
  ],
  ['delete-protection', (annotations, labels) => remove(kafka({ annotations, labels }))],
  [
    'config-sanity',
    // Offsets topic factor 3 on two brokers, and nothing else amiss.
    (annotations, labels) =>
      create(
        kafka({
          replicas: 2,
          annotations,
          labels,
          env: {
            KAFKA_ZOOKEEPER_CONNECT: 'zk:2181',
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '2',
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          },
        }),
      ),
  ],
];

describe.each(FAILING)('rule %s', (rule, failing) => {
  const exempt = `kafka-warden.io/exempt-${rule}`;

  test('is in the default rule set', () => {
    expect(DEFAULT_RULES.map((r) => r.id)).toContain(rule);
  });

  test('given the failing situation and no policy, denies in enforce mode', async () => {
    const verdict = await evaluate(failing());
    expect(verdict.allowed).toBe(false);
    expect(verdict.denials.map((f) => [f.rule, f.mode])).toEqual([[rule, 'enforce']]);
  });

  test('in warn mode, allows with a short warning naming the rule', async () => {
    const policy = parsePolicy(`rules: {${rule}: {mode: warn}}`, 'p');
    const verdict = await evaluate(failing(), { policy });
    expect(verdict.allowed).toBe(true);
    expect(verdict.warnings).toEqual([expect.stringMatching(new RegExp(`^${rule}: `))]);
    for (const warning of verdict.warnings) expect(warning.length).toBeLessThanOrEqual(120);
  });

  test('in audit mode, allows silently and records the finding', async () => {
    const policy = parsePolicy(`rules: {${rule}: {mode: audit}}`, 'p');
    const verdict = await evaluate(failing(), { policy });
    expect(verdict).toMatchObject({ allowed: true, warnings: [], denials: [] });
    expect(verdict.audits.map((f) => [f.rule, f.mode])).toEqual([[rule, 'audit']]);
  });

  test('in a namespace override to audit, allows there and still denies elsewhere', async () => {
    const policy = parsePolicy(`namespaceOverrides: {kafka: {${rule}: {mode: audit}}}`, 'p');
    expect((await evaluate(failing(), { policy })).allowed).toBe(true);
    expect((await evaluate({ ...failing(), namespace: 'prod' }, { policy })).allowed).toBe(false);
  });

  test('given its exemption annotation with a reason, allows and audits the exemption', async () => {
    const verdict = await evaluate(failing({ [exempt]: 'INC-42: restoring from backup' }));
    expect(verdict.allowed).toBe(true);
    expect(verdict.audits.map((f) => [f.rule, f.exempted])).toEqual([
      [rule, `${exempt}: INC-42: restoring from backup`],
    ]);
  });

  test('given its exemption annotation without a reason, still denies and says why', async () => {
    const verdict = await evaluate(failing({ [exempt]: '' }));
    expect(verdict.allowed).toBe(false);
    expect(verdict.denials[0]?.message).toContain(`${exempt} is ignored: it needs a reason`);
    expect(verdict.warnings).toContain(`${exempt} is ignored: it needs a reason as its value`);
  });

  test('given a policy that disallows annotation exemptions, ignores the annotation and says so', async () => {
    const policy = parsePolicy(`rules: {${rule}: {exemptions: {annotation: false}}}`, 'p');
    const verdict = await evaluate(failing({ [exempt]: 'please' }), { policy });
    expect(verdict.allowed).toBe(false);
    expect(verdict.denials[0]?.message).toContain('the policy does not allow it');
  });

  test('given an exempt namespace, allows and audits', async () => {
    const policy = parsePolicy(
      `rules: {${rule}: {exemptions: {namespaces: [sandbox, kafka]}}}`,
      'p',
    );
    const verdict = await evaluate(failing(), { policy });
    expect(verdict.allowed).toBe(true);
    expect(verdict.audits[0]?.exempted).toBe('namespace kafka is exempt by policy');
  });

  test('given a label selector exemption, allows only the objects it selects', async () => {
    const policy = parsePolicy(
      `rules: {${rule}: {exemptions: {selector: {matchExpressions: [{key: tier, operator: In, values: [dev, test]}]}}}}`,
      'p',
    );
    expect((await evaluate(failing(undefined, { tier: 'dev' }), { policy })).allowed).toBe(true);
    expect((await evaluate(failing(undefined, { tier: 'prod' }), { policy })).allowed).toBe(false);
  });

  test('given a global exemption for the namespace, allows', async () => {
    const policy = parsePolicy('exemptions: {namespaces: [kafka]}', 'p');
    expect((await evaluate(failing(), { policy })).allowed).toBe(true);
  });

  test("another rule's exemption annotation does not exempt it", async () => {
    const other = FAILING.find(([id]) => id !== rule)?.[0] ?? '';
    const verdict = await evaluate(failing({ [`kafka-warden.io/exempt-${other}`]: 'reason' }));
    expect(verdict.allowed).toBe(false);
  });
});
