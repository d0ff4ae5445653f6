/**
 * Every rule, in one failing situation each, under every mode and every kind of exemption: what the
 * engine does with a failure is the same for all rules, and each must take part. Exemptions count
 * as the object had them before the change: a change cannot exempt itself.
 */
import { parsePolicy } from '../../../src/config/load-policy';
import { evaluate } from '../../../src/policy/engine';
import { DEFAULT_RULES } from '../../../src/policy/rules';
import type { KubeObject } from '../../../src/core/k8s-types';
import type { Operation, PolicyRequest } from '../../../src/policy/types';
import {
  create,
  kafka,
  remove,
  update,
  withContainer,
  zookeeper,
  type WorkloadShape,
} from './fixtures';

interface Marks {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

/**
 * `stored`: on the object as it is before the change (on UPDATE kept by the change too; on CREATE,
 * the object created). `added`: written by the failing UPDATE itself, on the new object only.
 */
type Failing = (stored?: Marks, added?: Marks) => PolicyRequest;

function before(stored: Marks | undefined): WorkloadShape {
  return { annotations: stored?.annotations, labels: stored?.labels };
}

function after(stored: Marks | undefined, added: Marks | undefined): WorkloadShape {
  return {
    annotations: { ...stored?.annotations, ...added?.annotations },
    labels: { ...stored?.labels, ...added?.labels },
  };
}

const LISTENERS = {
  KAFKA_ZOOKEEPER_CONNECT: 'zk:2181',
  KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
};

const FAILING: [rule: string, operation: Operation, failing: Failing][] = [
  [
    'ordered-ready',
    'CREATE',
    (stored) => create(kafka({ ...before(stored), spec: { podManagementPolicy: 'Parallel' } })),
  ],
  [
    'update-strategy',
    'CREATE',
    (stored) =>
      create(kafka({ ...before(stored), spec: { updateStrategy: { type: 'OnDelete' } } })),
  ],
  [
    'broker-scaling',
    'UPDATE',
    (stored, added) =>
      update(kafka(before(stored)), kafka({ replicas: 5, ...after(stored, added) })),
  ],
  [
    'zookeeper-ensemble',
    'UPDATE',
    (stored, added) =>
      update(zookeeper(before(stored)), zookeeper({ replicas: 5, ...after(stored, added) })),
  ],
  [
    'kafka-version',
    'UPDATE',
    (stored, added) =>
      update(
        kafka({ image: 'confluentinc/cp-kafka:5.5.0', ...before(stored) }),
        kafka({ image: 'confluentinc/cp-kafka:6.1.0', ...after(stored, added) }),
      ),
  ],
  [
    'listener-migration',
    'UPDATE',
    // PLAINTEXT → SSL for inter-broker traffic in the roll that adds SSL.
    (stored, added) =>
      update(
        kafka({
          ...before(stored),
          env: { ...LISTENERS, KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://b:9092' },
        }),
        kafka({
          ...after(stored, added),
          env: {
            ...LISTENERS,
            KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://b:9092,SSL://b:9093',
            KAFKA_INTER_BROKER_LISTENER_NAME: 'SSL',
          },
        }),
      ),
  ],
  ['delete-protection', 'DELETE', (stored) => remove(kafka(before(stored)))],
  [
    'config-sanity',
    'CREATE',
    // Offsets topic factor 3 on two brokers, and nothing else amiss.
    (stored) =>
      create(
        kafka({
          replicas: 2,
          ...before(stored),
          env: {
            KAFKA_ZOOKEEPER_CONNECT: 'zk:2181',
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '2',
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          },
        }),
      ),
  ],
  [
    'workload-identity',
    'UPDATE',
    // Renamed, on an image detection does not list (same Confluent tag: no version change).
    (stored, added) =>
      update(
        kafka(before(stored)),
        withContainer(kafka(after(stored, added)), {
          name: 'broker',
          image: 'registry.example/streaming/broker:6.1.0',
        }),
      ),
  ],
];

const TIERS = '{selector: {matchExpressions: [{key: tier, operator: In, values: [dev, test]}]}}';

describe.each(FAILING)('rule %s (%s)', (rule, _operation, failing) => {
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
    const verdict = await evaluate(
      failing({ annotations: { [exempt]: 'INC-42: restoring from backup' } }),
    );
    expect(verdict.allowed).toBe(true);
    expect(verdict.audits.map((f) => [f.rule, f.exempted])).toEqual([
      [rule, `${exempt}: INC-42: restoring from backup`],
    ]);
  });

  test('given its exemption annotation without a reason, still denies and says why', async () => {
    const verdict = await evaluate(failing({ annotations: { [exempt]: '' } }));
    expect(verdict.allowed).toBe(false);
    expect(verdict.denials[0]?.message).toContain(`${exempt} is ignored: it needs a reason`);
    expect(verdict.warnings).toContain(`${exempt} is ignored: it needs a reason as its value`);
  });

  test('given a policy that disallows annotation exemptions, ignores the annotation and says so', async () => {
    const policy = parsePolicy(`rules: {${rule}: {exemptions: {annotation: false}}}`, 'p');
    const verdict = await evaluate(failing({ annotations: { [exempt]: 'please' } }), { policy });
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
    const policy = parsePolicy(`rules: {${rule}: {exemptions: ${TIERS}}}`, 'p');
    expect((await evaluate(failing({ labels: { tier: 'dev' } }), { policy })).allowed).toBe(true);
    expect((await evaluate(failing({ labels: { tier: 'prod' } }), { policy })).allowed).toBe(false);
  });

  test('given a global exemption for the namespace, allows', async () => {
    const policy = parsePolicy('exemptions: {namespaces: [kafka]}', 'p');
    expect((await evaluate(failing(), { policy })).allowed).toBe(true);
  });

  test("another rule's exemption annotation does not exempt it", async () => {
    const other = FAILING.find(([id]) => id !== rule)?.[0] ?? '';
    const verdict = await evaluate(
      failing({ annotations: { [`kafka-warden.io/exempt-${other}`]: 'reason' } }),
    );
    expect(verdict.allowed).toBe(false);
  });
});

const UPDATES = FAILING.filter(([, operation]) => operation === 'UPDATE');

describe.each(UPDATES)(
  'rule %s, given an UPDATE that writes its own exemption',
  (rule, _op, failing) => {
    const exempt = `kafka-warden.io/exempt-${rule}`;

    test('the exemption annotation it adds does not exempt it, and the denial says why', async () => {
      const verdict = await evaluate(failing(undefined, { annotations: { [exempt]: 'trust me' } }));
      expect(verdict.allowed).toBe(false);
      expect(verdict.audits).toEqual([]);
      expect(verdict.denials[0]?.message).toContain(`${exempt} is ignored: this change adds it`);
      expect(verdict.warnings).toContain(
        `${exempt} is ignored: this change adds it; only an exemption the object had counts`,
      );
    });

    test('labels it adds do not bring it under a selector exemption', async () => {
      const policy = parsePolicy(`rules: {${rule}: {exemptions: ${TIERS}}}`, 'p');
      const verdict = await evaluate(failing(undefined, { labels: { tier: 'dev' } }), { policy });
      expect(verdict.allowed).toBe(false);
      expect(verdict.warnings).toContain(
        'labels this change adds match an exemption selector; only the labels it had count',
      );
    });

    test('a reason it writes over an empty annotation does not count either', async () => {
      const verdict = await evaluate(
        failing(
          { annotations: { [exempt]: '' } },
          { annotations: { [exempt]: 'now with reason' } },
        ),
      );
      expect(verdict.allowed).toBe(false);
    });

    test('an exemption the object had still counts when the change removes it', async () => {
      const stored = await evaluate(failing({ annotations: { [exempt]: 'CHG-9' } }));
      expect(stored.allowed).toBe(true);
      const removing = failing({ annotations: { [exempt]: 'CHG-9' } });
      const object = structuredClone(removing.object) as KubeObject;
      object.metadata = { ...object.metadata, annotations: {} };
      const verdict = await evaluate({ ...removing, object });
      expect(verdict.allowed).toBe(true);
      expect(verdict.audits.map((f) => f.exempted)).toEqual([`${exempt}: CHG-9`]);
    });
  },
);

describe('adding an exemption annotation', () => {
  test('is admitted as a change of its own when nothing else in the change fails', async () => {
    const annotations = {
      'kafka-warden.io/exempt-broker-scaling': 'CHG-9: brokers for new topics only',
    };
    const verdict = await evaluate(update(kafka(), kafka({ annotations })));
    expect(verdict).toMatchObject({ allowed: true, denials: [], warnings: [], audits: [] });
    // …and counts for the next change.
    const next = await evaluate(
      update(kafka({ annotations }), kafka({ annotations, replicas: 5 })),
    );
    expect(next.allowed).toBe(true);
    expect(next.audits.map((f) => f.rule)).toEqual(['broker-scaling']);
  });
});
