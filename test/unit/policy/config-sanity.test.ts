import { parsePolicy } from '../../../src/config/load-policy';
import { evaluate } from '../../../src/policy/engine';
import { create, kafka } from './fixtures';

/** A cluster of `replicas` brokers with these env settings (and nothing else). */
function brokers(replicas: number, env: Record<string, string>) {
  return create(kafka({ replicas, env: { KAFKA_ZOOKEEPER_CONNECT: 'zk:2181', ...env } }));
}

const CASES: [
  name: string,
  replicas: number,
  env: Record<string, string>,
  expected: [check: string, mode: string][],
  mentions: string[],
][] = [
  ['given Kafka defaults on three brokers, finds nothing', 3, {}, [], []],
  [
    'given min.insync.replicas equal to the replication factor, denies: every rolling restart stops acks=all writes',
    3,
    { KAFKA_DEFAULT_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '3' },
    [
      ['min-insync-replicas', 'enforce'],
      ['min-insync-replicas', 'enforce'],
    ],
    ['NotEnoughReplicas', 'min.insync.replicas (env KAFKA_MIN_INSYNC_REPLICAS)'],
  ],
  [
    'given min.insync.replicas above the default replication factor, denies: no acks=all write can succeed',
    3,
    { KAFKA_MIN_INSYNC_REPLICAS: '2' },
    [['min-insync-replicas', 'enforce']],
    ['can ever succeed', 'default.replication.factor (env KAFKA_DEFAULT_REPLICATION_FACTOR) 1'],
  ],
  [
    'given RF 3 and min.insync.replicas 2, finds nothing',
    3,
    { KAFKA_DEFAULT_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' },
    [],
    [],
  ],
  [
    'given an explicit replication factor above the broker count, denies',
    2,
    {
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '2',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    },
    [['replication-above-brokers', 'enforce']],
    ['consumer groups do not work', 'at most 2'],
  ],
  [
    "given Kafka's default transaction log factor 3 on one broker, warns (only transactions need it)",
    1,
    { KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1', KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1' },
    [['default-replication-above-brokers', 'warn']],
    ["Kafka's default of 3", 'transactional'],
  ],
  [
    'given unclean leader election enabled, warns: acknowledged writes can be lost',
    3,
    { KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE: 'true' },
    [['unclean-leader-election', 'warn']],
    ['out-of-sync', 'per topic'],
  ],
  [
    'given a transaction log min ISR above its factor, denies',
    3,
    { KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1' },
    [['min-insync-replicas', 'enforce']],
    ['transaction.state.log.min.isr'],
  ],
];

describe('rule config-sanity', () => {
  test.each(CASES)('%s', async (_name, replicas, env, expected, mentions) => {
    const verdict = await evaluate(brokers(replicas, env));
    const failing = verdict.findings.filter(
      (f) => f.rule === 'config-sanity' && f.outcome === 'fail',
    );
    expect(failing.map((f) => [f.check, f.mode])).toEqual(expected);
    const text = failing.map((f) => f.message).join('\n');
    for (const mention of mentions) expect(text).toContain(mention);
  });

  test('given a value that is not a number, skips that setting and says why', async () => {
    const verdict = await evaluate(brokers(3, { KAFKA_MIN_INSYNC_REPLICAS: 'two' }));
    const skipped = verdict.findings.filter(
      (f) => f.rule === 'config-sanity' && f.outcome === 'skip',
    );
    expect(skipped[0]?.message).toContain('"two" is not a positive whole number');
  });

  test('a mode set for the rule applies to every check; parameters.modes set one check', async () => {
    const risky = { KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE: 'true', KAFKA_MIN_INSYNC_REPLICAS: '2' };
    const audit = parsePolicy('rules: {config-sanity: {mode: audit}}', 'p');
    const all = await evaluate(brokers(3, risky), { policy: audit });
    expect(all.allowed).toBe(true);
    expect(all.audits.map((f) => f.check)).toEqual([
      'min-insync-replicas',
      'unclean-leader-election',
    ]);

    const one = parsePolicy(
      'rules: {config-sanity: {parameters: {modes: {unclean-leader-election: enforce, min-insync-replicas: warn}}}}',
      'p',
    );
    const mixed = await evaluate(brokers(3, risky), { policy: one });
    expect(mixed.denials.map((f) => f.check)).toEqual(['unclean-leader-election']);
    expect(mixed.warnings).toEqual([
      expect.stringContaining(
        'config-sanity: min.insync.replicas 2 > default.replication.factor 1',
      ),
    ]);
  });
});
