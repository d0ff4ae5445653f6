import { WardenError } from '../../../src/core/errors';
import {
  formatPlan,
  planReassignment,
  type CurrentPartition,
  type PlanSummary,
} from '../../../src/policy/plan-reassignment';
import { parseReassignmentPlan } from '../../../src/policy/reassignment-plan';
import { seededRandom } from '../../support/seeded-random';

/** Topics of random size and replication factor, placed at random (skewed) on `brokers` brokers. */
function randomAssignment(seed: number, brokers: number): CurrentPartition[] {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  const partitions: CurrentPartition[] = [];
  const topics = 1 + int(6);
  for (let t = 0; t < topics; t++) {
    const factor = 1 + int(Math.min(brokers, 3));
    const count = 1 + int(24);
    // Skew: some topics live on a few brokers only, as after a scale-up without reassignment.
    const pool = Array.from({ length: brokers }, (_, id) => id).filter(
      () => next() < 0.8 || factor === brokers,
    );
    const hosts = pool.length >= factor ? pool : Array.from({ length: brokers }, (_, id) => id);
    for (let p = 0; p < count; p++) {
      const replicas: number[] = [];
      while (replicas.length < factor) {
        const id = hosts[int(hosts.length)] as number;
        if (!replicas.includes(id)) replicas.push(id);
      }
      partitions.push({ topic: `topic-${t}`, partition: p, replicas });
    }
  }
  return partitions;
}

/** The assignment after the plan: the plan's lists where it has one, the current one elsewhere. */
function after(current: CurrentPartition[], summary: PlanSummary): Map<string, number[]> {
  const result = new Map(current.map((p) => [`${p.topic}-${p.partition}`, [...p.replicas]]));
  for (const move of summary.plan.partitions) {
    result.set(`${move.topic}-${move.partition}`, move.replicas);
  }
  return result;
}

function spread(counts: number[]): number {
  return Math.max(...counts) - Math.min(...counts);
}

function checkProperties(current: CurrentPartition[], brokers: number, summary: PlanSummary) {
  const result = after(current, summary);
  for (const p of current) {
    const replicas = result.get(`${p.topic}-${p.partition}`) as number[];
    expect(replicas).toHaveLength(new Set(p.replicas).size);
    expect(new Set(replicas).size).toBe(replicas.length);
    for (const id of replicas) {
      expect(id).toBeGreaterThanOrEqual(0);
      expect(id).toBeLessThan(brokers);
    }
  }
  const replicas = new Array<number>(brokers).fill(0);
  const leaders = new Array<number>(brokers).fill(0);
  for (const list of result.values()) {
    for (const id of list) replicas[id]!++;
    leaders[list[0] as number]!++;
  }
  expect(replicas).toEqual(summary.replicasPerBroker);
  expect(leaders).toEqual(summary.leadersPerBroker);
  expect(spread(replicas)).toBeLessThanOrEqual(1);
  expect(spread(leaders)).toBeLessThanOrEqual(1);
}

describe('planReassignment', () => {
  const cases: [name: string, from: number, to: number][] = [];
  for (let seed = 1; seed <= 400; seed++) {
    const from = 1 + (seed % 7);
    const to = 1 + ((seed * 5) % 8);
    cases.push([`seed ${seed}: ${from} → ${to} brokers`, from, to]);
  }

  test.each(cases)(
    'over random assignments (%s) keeps replication factors, lists no broker twice, leaves no replica beyond the new count, and balances replicas and leaders within one',
    (name, from, to) => {
      const seed = Number(/seed (\d+)/.exec(name)?.[1]);
      const current = randomAssignment(seed, from).filter(
        (p) => p.replicas.length <= to, // larger factors are refused (tested below)
      );
      checkProperties(current, to, planReassignment(current, to));
    },
  );

  test('given a balanced cluster and the same broker count, plans nothing', () => {
    const current: CurrentPartition[] = [0, 1, 2, 3, 4, 5].map((p) => ({
      topic: 'orders',
      partition: p,
      replicas: [p % 3, (p + 1) % 3],
    }));
    const summary = planReassignment(current, 3);
    expect(summary.plan.partitions).toEqual([]);
    expect(summary.replicasMoved).toBe(0);
  });

  test('given a scale-down, moves only the replicas on the removed brokers when the rest can stay', () => {
    // Six partitions, factor 2, on brokers 0-3, each broker holding three replicas.
    const current: CurrentPartition[] = [0, 1, 2, 3, 4, 5].map((p) => ({
      topic: 'orders',
      partition: p,
      replicas: [p % 4, (p + 1) % 4],
    }));
    const onBroker3 = current.filter((p) => p.replicas.includes(3)).length;
    const summary = planReassignment(current, 3);
    expect(summary.replicasMoved).toBe(onBroker3);
    expect(summary.plan.partitions.every((m) => !m.replicas.includes(3))).toBe(true);
    checkProperties(current, 3, summary);
  });

  test('given a scale-up, moves just enough replicas to give the new brokers their share', () => {
    // 12 partitions × 3 replicas on brokers 0-2; six brokers should hold 6 each: 18 move.
    const current: CurrentPartition[] = Array.from({ length: 12 }, (_, p) => ({
      topic: `t${p % 2}`,
      partition: p,
      replicas: [p % 3, (p + 1) % 3, (p + 2) % 3],
    }));
    const summary = planReassignment(current, 6);
    expect(summary.replicasMoved).toBe(18);
    expect(summary.replicasPerBroker).toEqual([6, 6, 6, 6, 6, 6]);
    expect(summary.leadersPerBroker).toEqual([2, 2, 2, 2, 2, 2]);
    checkProperties(current, 6, summary);
  });

  test('keeps current leaders where the balance allows', () => {
    const current: CurrentPartition[] = [
      { topic: 'a', partition: 0, replicas: [1, 0] },
      { topic: 'a', partition: 1, replicas: [0, 1] },
    ];
    expect(planReassignment(current, 2).leadersChanged).toBe(0);
  });

  test('spreads the partitions of one topic over the brokers, not only the totals', () => {
    const current: CurrentPartition[] = [
      ...[0, 1].map((p) => ({ topic: 'a', partition: p, replicas: [0] })),
      ...[0, 1].map((p) => ({ topic: 'b', partition: p, replicas: [0] })),
    ];
    const summary = planReassignment(current, 2);
    const result = after(current, summary);
    for (const topic of ['a', 'b']) {
      const brokers = [0, 1].map((p) => (result.get(`${topic}-${p}`) as number[])[0]);
      expect(new Set(brokers)).toEqual(new Set([0, 1]));
    }
    expect(summary.replicasMoved).toBe(2);
  });

  test('given a replication factor above the new broker count, refuses naming the topic', () => {
    const current: CurrentPartition[] = [
      { topic: 'orders', partition: 0, replicas: [0, 1, 2] },
      { topic: 'logs', partition: 0, replicas: [0] },
    ];
    let error: unknown;
    try {
      planReassignment(current, 2);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('KW_PLAN_IMPOSSIBLE');
    expect((error as Error).message).toContain('orders (replication factor 3)');
    expect((error as Error).message).not.toContain('logs');
  });

  test('given no broker, refuses', () => {
    expect(() => planReassignment([], 0)).toThrow(WardenError);
  });

  test('prints a plan kafka-reassign-partitions (and kafka-warden) reads back unchanged', () => {
    const current = randomAssignment(42, 5);
    const { plan } = planReassignment(current, 3);
    const text = formatPlan(plan);
    const parsed = parseReassignmentPlan(text);
    expect(parsed).toEqual({ ok: true, plan });
    expect(formatPlan({ partitions: [] })).toBe('{"version":1,"partitions":[]}\n');
  });
});
