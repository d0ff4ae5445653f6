import { DEFAULT_CONFIG } from '../../../src/core/config';
import type { Container, KubeObject } from '../../../src/core/k8s-types';
import { evaluate, selectWorkloads } from '../../../src/policy/engine';
import { pass, warn, type Rule } from '../../../src/policy/rule';
import { DEFAULT_RULES } from '../../../src/policy/rules';
import { assembleVerdict, shorten } from '../../../src/policy/verdict';
import { create, deniedBy, kafka, remove, update, withContainer, zookeeper } from './fixtures';

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'my-cp-cp-kafka' },
  spec: { template: { spec: { containers: [{ name: 'cp-kafka-broker' }] } } },
};

const unrelated: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'my-cp-cp-kafka' },
  spec: {
    podManagementPolicy: 'Parallel',
    template: { spec: { containers: [{ name: 'postgres', image: 'postgres:16' }] } },
  },
};

describe('the policy engine', () => {
  test.each([
    ['a Deployment, even one with a broker container', deployment],
    [
      'a StatefulSet that is neither Kafka nor ZooKeeper, even one named like the broker',
      unrelated,
    ],
  ])('given %s, allows with no findings', async (_name, object) => {
    expect(await evaluate(create(object))).toEqual({
      allowed: true,
      denials: [],
      warnings: [],
      audits: [],
      findings: [],
    });
  });

  test('detects brokers by their pod, not their name', async () => {
    const renamed = kafka({ name: 'events', spec: { podManagementPolicy: 'Parallel' } });
    expect((await evaluate(create(renamed))).denials.map((f) => f.rule)).toEqual(['ordered-ready']);
  });

  test('on CREATE, runs the rules that apply to creation and reports their passes too', async () => {
    const verdict = await evaluate(create(kafka()));
    expect(verdict.allowed).toBe(true);
    expect([...new Set(verdict.findings.map((f) => f.rule))]).toEqual([
      'ordered-ready',
      'update-strategy',
      'config-sanity',
    ]);
    expect(verdict.findings.every((f) => f.outcome === 'pass')).toBe(true);
  });

  test.each([
    [
      'UPDATE of brokers',
      update(kafka(), kafka()),
      [
        'ordered-ready',
        'update-strategy',
        'broker-scaling',
        'rolling-restart',
        'kafka-version',
        'listener-migration',
        'config-sanity',
        'workload-identity',
      ],
    ],
    [
      'UPDATE of ZooKeeper',
      update(zookeeper(), zookeeper()),
      ['ordered-ready', 'update-strategy', 'zookeeper-ensemble', 'workload-identity'],
    ],
    ['DELETE of brokers', remove(kafka()), ['delete-protection']],
  ])('on %s, runs exactly the rules for that role and operation', async (_name, req, rules) => {
    const verdict = await evaluate(req);
    expect([...new Set(verdict.findings.map((f) => f.rule))]).toEqual(rules);
  });

  test('treats an UPDATE whose old object was not a broker like a new broker (no scaling or version history)', async () => {
    const verdict = await evaluate(update(unrelated, kafka({ replicas: 5 })));
    expect(verdict.findings.some((f) => f.rule === 'broker-scaling')).toBe(false);
  });

  test('judges dry runs and any user alike: no rule has side effects', async () => {
    const req = update(kafka(), kafka({ replicas: 5 }));
    const plain = await evaluate(req);
    const dry = await evaluate({
      ...req,
      dryRun: true,
      userInfo: { username: 'system:admin', groups: ['system:masters'] },
    });
    expect(dry).toEqual(plain);
  });

  test('runs injected rules: the extension point for platform-specific checks', async () => {
    const custom: Rule = {
      id: 'no-latest',
      title: 'no latest tag',
      defaultMode: 'enforce',
      defaultParameters: {},
      roles: ['kafka'],
      operations: ['CREATE'],
      evaluate: ({ current }) => [
        current?.container.image?.endsWith(':latest')
          ? warn('latest tag', 'pin a version')
          : pass('pinned'),
      ],
    };
    const verdict = await evaluate(create(kafka({ image: 'confluentinc/cp-kafka:latest' })), {
      rules: [custom],
    });
    expect(verdict).toMatchObject({ allowed: true, warnings: ['no-latest: latest tag'] });
  });

  test('answers at once when no rule needs a lookup, and in a Promise when one does', async () => {
    expect(evaluate(update(kafka(), kafka()))).not.toBeInstanceOf(Promise);
    expect(evaluate(create(kafka()))).not.toBeInstanceOf(Promise);
    // A scale-down reads its plan (here: a ConfigMap the annotation names) before judging.
    const scaleDown = update(
      kafka({ replicas: 3 }),
      kafka({
        replicas: 2,
        annotations: { 'kafka-warden.io/reassignment-plan-configmap': 'plan' },
      }),
    );
    const pending = evaluate(scaleDown);
    expect(pending).toBeInstanceOf(Promise);
    // No ConfigMap is found without a plan source: the scale-down is refused.
    expect((await pending).denials.map((f) => f.rule)).toContain('broker-scaling');
  });

  test('a rule that throws fails the evaluation at once, not later', () => {
    const broken: Rule = {
      id: 'broken',
      title: 'a bug',
      defaultMode: 'enforce',
      defaultParameters: {},
      roles: ['kafka'],
      operations: ['CREATE'],
      evaluate: () => {
        throw new Error('bug in a rule');
      },
    };
    expect(() => evaluate(create(kafka()), { rules: [broken] })).toThrow('bug in a rule');
  });

  test('every default rule is enforced by default except where its checks say otherwise', () => {
    expect(DEFAULT_RULES.map((r) => [r.id, r.defaultMode])).toEqual([
      ['ordered-ready', 'enforce'],
      ['update-strategy', 'enforce'],
      ['broker-scaling', 'enforce'],
      ['rolling-restart', 'enforce'],
      ['zookeeper-ensemble', 'enforce'],
      ['kafka-version', 'enforce'],
      ['listener-migration', 'enforce'],
      ['delete-protection', 'enforce'],
      ['config-sanity', 'enforce'],
      ['workload-identity', 'enforce'],
    ]);
  });
});

describe('an UPDATE, judged as what the StatefulSet was', () => {
  const detection = DEFAULT_CONFIG.detection;
  /** The broker container renamed, on an image detection does not list. */
  const disguised = (
    shape: Parameters<typeof kafka>[0] = {},
    image = 'registry.example/streaming/broker:6.1.0',
  ) => withContainer(kafka(shape), { name: 'broker', image });

  test('given the broker container renamed to an unlisted image while scaling 3 → 1, denies the scale-down', async () => {
    const verdict = await evaluate(update(kafka(), disguised({ replicas: 1 })));
    expect(deniedBy(verdict)).toEqual(
      expect.arrayContaining(['broker-scaling', 'workload-identity']),
    );
    expect(verdict.denials.find((f) => f.rule === 'broker-scaling')?.message).toContain(
      'from 3 to 1',
    );
  });

  test("sees the new object through the container that took the broker container's place", () => {
    const workloads = selectWorkloads(update(kafka(), disguised({ replicas: 1 })), detection);
    expect(workloads?.subject.role).toBe('kafka');
    expect(workloads?.current).toMatchObject({
      role: 'kafka',
      detectedAs: undefined,
      replicas: 1,
      container: { name: 'broker', image: 'registry.example/streaming/broker:6.1.0' },
    });
    expect(workloads?.previous?.replicas).toBe(3);
  });

  test.each([
    ['a tag it cannot map: warns', 'registry.example/streaming/broker:latest', 'warn'],
    [
      'a Confluent 7.0 tag (Kafka 3.0) with no protocol pin: fails',
      'mirror.example/kafka:7.0.0',
      'fail',
    ],
  ])('lets kafka-version judge the unlisted image, %s', async (_name, image, outcome) => {
    const verdict = await evaluate(update(kafka(), disguised({}, image)));
    const finding = verdict.findings.find((f) => f.rule === 'kafka-version');
    expect(finding?.outcome).toBe(outcome);
    expect(finding?.message).toContain(image);
  });

  test('given the broker renamed and a copy of the old one under its name (a decoy), denies: two containers run the broker image', async () => {
    const before = kafka();
    const after = structuredClone(before);
    const containers = (after.spec as { template: { spec: { containers: Container[] } } }).template
      .spec.containers;
    const broker = containers.find((c) => c.name === 'cp-kafka-broker') as Container;
    const decoy = structuredClone(broker);
    broker.name = 'kafka-real';
    broker.image = (broker.image ?? '').replace(/:[^:]+$/, ':7.0.0');
    containers.unshift(decoy);
    const verdict = await evaluate(update(before, after));
    expect(deniedBy(verdict)).toContain('workload-identity');
    expect(verdict.denials.find((f) => f.rule === 'workload-identity')?.summary).toBe(
      'StatefulSet/my-cp-cp-kafka: container kafka-real could be the broker beside cp-kafka-broker',
    );
  });

  test('given a broker StatefulSet turned into ZooKeeper while scaling 3 → 1, judges it as Kafka', async () => {
    const verdict = await evaluate(
      update(kafka(), zookeeper({ name: 'my-cp-cp-kafka', replicas: 1 })),
    );
    expect(deniedBy(verdict)).toEqual(
      expect.arrayContaining(['broker-scaling', 'workload-identity']),
    );
    expect(verdict.findings.some((f) => f.rule === 'zookeeper-ensemble')).toBe(false);
    expect(verdict.denials.find((f) => f.rule === 'workload-identity')?.summary).toBe(
      'StatefulSet/my-cp-cp-kafka would turn from Kafka into ZooKeeper',
    );
  });

  test('given ZooKeeper turned into brokers, judges it as ZooKeeper', async () => {
    const verdict = await evaluate(
      update(zookeeper(), kafka({ name: 'my-cp-cp-zookeeper', replicas: 5 })),
    );
    expect(deniedBy(verdict)).toEqual(['zookeeper-ensemble', 'workload-identity']);
  });

  test('given only the container renamed, the listed image and the pod labels still recognise the brokers', async () => {
    const renamed = withContainer(kafka(), {
      name: 'broker',
      image: 'confluentinc/cp-kafka:6.1.0',
    });
    const verdict = await evaluate(update(kafka(), renamed));
    expect(verdict.findings.find((f) => f.rule === 'workload-identity')?.outcome).toBe('pass');
  });

  test('once stored unrecognised (admitted by policy or before this check), later changes are about neither', () => {
    expect(
      selectWorkloads(update(disguised(), disguised({ replicas: 1 })), detection),
    ).toBeUndefined();
  });
});

describe('a verdict', () => {
  const finding = (
    outcome: 'pass' | 'fail' | 'warn' | 'skip',
    mode: 'enforce' | 'warn' | 'audit',
    exempted?: string,
  ) => ({
    rule: 'r',
    outcome,
    mode,
    summary: `${outcome} in ${mode}`,
    message: 'm',
    ...(exempted ? { exempted } : {}),
  });

  test.each([
    ['a failure in enforce mode', finding('fail', 'enforce'), 'denials'],
    ['a failure in warn mode', finding('fail', 'warn'), 'warnings'],
    ["a rule's own warning in enforce mode", finding('warn', 'enforce'), 'warnings'],
    ['a failure in audit mode', finding('fail', 'audit'), 'audits'],
    ["a rule's own warning in audit mode", finding('warn', 'audit'), 'audits'],
    [
      'an exempted failure in enforce mode',
      finding('fail', 'enforce', 'namespace x is exempt'),
      'audits',
    ],
    ['a pass', finding('pass', 'enforce'), 'findings only'],
    ['a skip', finding('skip', 'enforce'), 'findings only'],
  ] as const)('puts %s into %s', (_name, f, where) => {
    const verdict = assembleVerdict([f]);
    expect(verdict.findings).toEqual([f]);
    expect(verdict.allowed).toBe(where !== 'denials');
    expect(verdict.denials.length).toBe(where === 'denials' ? 1 : 0);
    expect(verdict.warnings).toEqual(where === 'warnings' ? [`r: ${f.summary}`] : []);
    expect(verdict.audits.length).toBe(where === 'audits' ? 1 : 0);
  });

  test('keeps each warning within 120 characters, on one line', () => {
    const long = shorten(`rule: ${'word '.repeat(60)}\nsecond line`);
    expect(long.length).toBe(120);
    expect(long).toMatch(/…$/);
    expect(long).not.toContain('\n');
    expect(shorten('short')).toBe('short');
  });
});

describe('a rule that throws', () => {
  const lookupThatFails: Rule = {
    id: 'looks-up',
    title: 'a rule whose lookup rejects',
    defaultMode: 'enforce',
    defaultParameters: {},
    roles: ['kafka'],
    operations: ['CREATE'],
    evaluate: () => Promise.reject(new Error('lookup failed')),
  };
  const throwsAtOnce: Rule = {
    ...lookupThatFails,
    id: 'throws',
    evaluate: () => {
      throw new RangeError('Maximum call stack size exceeded');
    },
  };

  test("after another rule's lookup started, the throw fails the evaluation and that lookup's later rejection is handled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      expect(() => evaluate(create(kafka()), { rules: [lookupThatFails, throwsAtOnce] })).toThrow(
        'Maximum call stack',
      );
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
