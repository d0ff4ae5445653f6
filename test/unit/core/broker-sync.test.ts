/** The roll gate's "caught up" decision, table-driven over metadata shapes. */
import { brokerSyncVerdict, type SyncPartition } from '../../../src/core/broker-sync';

const p = (name: string, leader: number, replicas: number[], isr: number[]): SyncPartition => {
  const [topic, partition] = name.split('-') as [string, string];
  return { topic, partition: Number(partition), leader, replicas, isr };
};

type Row = [
  title: string,
  brokers: number[],
  partitions: SyncPartition[],
  minIsr: Record<string, number>,
  broker: number,
  expected: {
    inSync: boolean;
    reason: string;
    behind?: number;
    offline?: number;
    noHeadroom?: number;
  },
];

const rows: Row[] = [
  [
    'an empty cluster: registered is enough',
    [0, 1, 2],
    [],
    {},
    2,
    { inSync: true, reason: 'InSync' },
  ],
  [
    'not registered (not started, or recovering logs)',
    [0, 1],
    [p('t-0', 0, [0, 1, 2], [0, 1])],
    {},
    2,
    { inSync: false, reason: 'NotRegistered' },
  ],
  [
    'registered but stale in no ISR: a restarted follower catching up',
    [0, 1, 2],
    [p('t-0', 0, [0, 1, 2], [0, 1]), p('t-1', 1, [1, 2, 0], [1, 2, 0])],
    { t: 2 },
    2,
    { inSync: false, reason: 'NotInIsr', behind: 1 },
  ],
  [
    'in every ISR',
    [0, 1, 2],
    [p('t-0', 0, [0, 1, 2], [0, 1, 2]), p('t-1', 2, [2, 0, 1], [2, 0, 1])],
    { t: 2 },
    2,
    { inSync: true, reason: 'InSync', behind: 0 },
  ],
  [
    'partitions elsewhere do not count',
    [0, 1, 2, 3],
    [p('t-0', 0, [0, 1, 2], [0])],
    {},
    3,
    { inSync: true, reason: 'InSync' },
  ],
  [
    "another broker's lag is not this broker's",
    [0, 1, 2],
    [p('t-0', 0, [0, 1, 2], [0, 2])],
    { t: 2 },
    2,
    { inSync: true, reason: 'InSync' },
  ],
  [
    'an offline partition (no leader) is not judged: it waits for another broker',
    [0, 1, 2],
    [p('t-0', -1, [1, 2], [1])],
    {},
    2,
    { inSync: true, reason: 'InSync', offline: 1 },
  ],
  [
    'offline ones aside, a lagging partition still holds it back',
    [0, 1, 2],
    [p('t-0', -1, [1, 2], [1]), p('t-1', 0, [0, 2], [0])],
    {},
    2,
    { inSync: false, reason: 'NotInIsr', behind: 1, offline: 1 },
  ],
  [
    'RF <= min ISR: judged (it rejoins like any other), counted',
    [0, 1],
    [p('t-0', 0, [0, 1], [0])],
    { t: 2 },
    1,
    { inSync: false, reason: 'NotInIsr', behind: 1, noHeadroom: 1 },
  ],
  [
    'RF <= min ISR, caught up: in sync, with the note',
    [0, 1],
    [p('t-0', 0, [0, 1], [0, 1])],
    { t: 2 },
    1,
    { inSync: true, reason: 'InSync', noHeadroom: 1 },
  ],
  [
    'RF 1 on this broker: its own leader',
    [0, 1],
    [p('t-0', 1, [1], [1])],
    {},
    1,
    { inSync: true, reason: 'InSync', noHeadroom: 1 },
  ],
  [
    'min ISR unknown counts as 1',
    [0, 1, 2],
    [p('t-0', 0, [0, 1, 2], [0, 1, 2])],
    {},
    1,
    { inSync: true, reason: 'InSync', noHeadroom: 0 },
  ],
  [
    'a replica listed twice counts once for RF',
    [0, 1],
    [p('t-0', 0, [0, 1, 1], [0, 1])],
    { t: 2 },
    1,
    { inSync: true, reason: 'InSync', noHeadroom: 1 },
  ],
];

describe('brokerSyncVerdict', () => {
  test.each(rows)('%s', (_title, brokers, partitions, minIsr, broker, expected) => {
    const verdict = brokerSyncVerdict(
      { brokers, partitions, minIsr: new Map(Object.entries(minIsr)) },
      broker,
    );
    expect(verdict).toMatchObject(expected);
    expect(verdict.message).toContain(`broker ${broker}`);
  });

  test('the message names at most three partitions however many lag, and stays short', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => p(`t-${i}`, 0, [0, 1], [0]));
    const verdict = brokerSyncVerdict({ brokers: [0, 1], partitions: many, minIsr: new Map() }, 1);
    expect(verdict).toMatchObject({ inSync: false, behind: 10_000, replicated: 10_000 });
    expect(verdict.message).toContain('t-0, t-1, t-2, …');
    expect(verdict.message.length).toBeLessThan(400);
  });
});
