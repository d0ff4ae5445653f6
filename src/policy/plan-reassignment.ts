/**
 * A `kafka-reassign-partitions` plan for a new broker count, from the current assignment alone
 * (pure: `kafka-warden plan` reads the assignment from Kafka and prints the result).
 *
 * Broker ids are StatefulSet ordinals (cp-helm-charts), so `brokers: N` means ids 0 to N-1 remain
 * or exist, and every replica on an id ≥ N must move. The plan:
 * - keeps each partition's replication factor and never lists a broker twice for one partition;
 * - balances replicas per broker (every broker ends with ⌊R/N⌋ or ⌈R/N⌉ of the R replicas), which
 *   is what spreads partitions onto new brokers after a scale-up;
 * - moves as few replicas as that allows: replicas stay where they are unless their broker goes
 *   or holds more than its share, and the brokers already holding the most keep the larger shares;
 * - spreads preferred leaders (the first replica) so that leader counts differ by at most one,
 *   keeping each partition's current leader where it can;
 * - prefers, among equally good brokers, the one holding the fewest replicas of the same topic.
 * Only partitions whose replica list changes are in the plan.
 */
import { WardenError } from '../core/errors';
import type { PartitionMove, ReassignmentPlan } from './reassignment-plan';

export interface CurrentPartition {
  topic: string;
  partition: number;
  /** The current replica list, preferred leader first. */
  replicas: readonly number[];
}

export interface PlanSummary {
  plan: ReassignmentPlan;
  /** Replicas placed on a broker that did not hold them (each is a copy of the partition's data). */
  replicasMoved: number;
  /** Partitions whose preferred leader changes. */
  leadersChanged: number;
  /** Per broker id 0..N-1: replicas and preferred leaderships after the plan. */
  replicasPerBroker: number[];
  leadersPerBroker: number[];
}

interface Slot {
  topic: string;
  partition: number;
  original: readonly number[];
  /** Replicas after the plan (order: kept ones as they were, then added ones). */
  members: number[];
  leader: number;
  need: number;
}

export function planReassignment(
  partitions: readonly CurrentPartition[],
  brokers: number,
): PlanSummary {
  if (!Number.isInteger(brokers) || brokers < 1) {
    throw new WardenError(
      'KW_USAGE',
      `the broker count must be a whole number ≥ 1, not ${brokers}`,
    );
  }
  checkReplicationFactors(partitions, brokers);
  const slots = partitions
    .map((p): Slot => {
      const kept = [...new Set(p.replicas)].filter((id) => id >= 0 && id < brokers);
      return {
        topic: p.topic,
        partition: p.partition,
        original: p.replicas,
        members: kept,
        leader: -1,
        need: new Set(p.replicas).size - kept.length,
      };
    })
    .sort(byName);
  const state = new Balance(slots, brokers);
  state.shedExcess();
  state.placeNeeded();
  new Leaders(slots, brokers).assign();
  return summarise(slots, brokers);
}

function checkReplicationFactors(partitions: readonly CurrentPartition[], brokers: number): void {
  const tooWide = new Map<string, number>();
  for (const p of partitions) {
    const factor = new Set(p.replicas).size;
    if (factor > brokers) tooWide.set(p.topic, Math.max(tooWide.get(p.topic) ?? 0, factor));
  }
  if (tooWide.size === 0) return;
  const named = [...tooWide.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, 10)
    .map(([topic, factor]) => `${topic} (replication factor ${factor})`);
  const more = tooWide.size > 10 ? ` and ${tooWide.size - 10} more topic(s)` : '';
  throw new WardenError(
    'KW_PLAN_IMPOSSIBLE',
    `no plan for ${brokers} broker(s): ${named.join(', ')}${more} need more brokers than that, and ` +
      `Kafka cannot place two replicas of a partition on one broker. Lower those topics' ` +
      `replication factor first (a reassignment with shorter replica lists), or keep more brokers.`,
  );
}

function byName(a: { topic: string; partition: number }, b: { topic: string; partition: number }) {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

/** Replica placement: every broker ends at its target share, with as few moves as that allows. */
class Balance {
  private readonly load: number[];
  private readonly target: number[];
  /** topic → per-broker replica count, to spread each topic as well as the total. */
  private readonly topicLoad = new Map<string, number[]>();

  constructor(
    private readonly slots: Slot[],
    private readonly brokers: number,
  ) {
    this.load = new Array<number>(brokers).fill(0);
    let total = 0;
    for (const slot of slots) {
      total += slot.members.length + slot.need;
      for (const id of slot.members) this.add(slot, id);
    }
    // The brokers holding the most keep the larger shares: that is what keeps movement minimal.
    const base = Math.floor(total / brokers);
    const larger = total % brokers;
    const ranked = [...this.load.keys()].sort((a, b) => this.load[b]! - this.load[a]! || a - b);
    this.target = new Array<number>(brokers).fill(base);
    for (const id of ranked.slice(0, larger)) this.target[id] = base + 1;
  }

  private topicCounts(topic: string): number[] {
    let counts = this.topicLoad.get(topic);
    if (!counts) {
      counts = new Array<number>(this.brokers).fill(0);
      this.topicLoad.set(topic, counts);
    }
    return counts;
  }

  private add(slot: Slot, id: number): void {
    this.load[id]!++;
    this.topicCounts(slot.topic)[id]!++;
  }

  private remove(slot: Slot, id: number): void {
    this.load[id]!--;
    this.topicCounts(slot.topic)[id]!--;
  }

  /**
   * Brokers above their share give up replicas, one at a time from the topic most crowded there
   * at that moment; within a topic followers go before the leader (its leadership would move too).
   */
  shedExcess(): void {
    for (let id = 0; id < this.brokers; id++) {
      let excess = this.load[id]! - this.target[id]!;
      if (excess <= 0) continue;
      const byTopic = new Map<string, Slot[]>();
      for (const slot of this.slots) {
        if (!slot.members.includes(id)) continue;
        const list = byTopic.get(slot.topic) ?? [];
        list.push(slot);
        byTopic.set(slot.topic, list);
      }
      for (const list of byTopic.values()) {
        list.sort((a, b) => Number(a.original[0] === id) - Number(b.original[0] === id));
      }
      while (excess-- > 0) {
        let crowded: Slot[] = [];
        for (const list of byTopic.values()) if (list.length > crowded.length) crowded = list;
        const shed = crowded.shift() as Slot;
        shed.members = shed.members.filter((member) => member !== id);
        shed.need++;
        this.remove(shed, id);
      }
    }
  }

  placeNeeded(): void {
    for (const slot of this.slots) {
      while (slot.need > 0) {
        const id = this.bestBrokerFor(slot) ?? this.makeRoomFor(slot);
        slot.members.push(id);
        slot.need--;
        this.add(slot, id);
      }
    }
  }

  private bestBrokerFor(slot: Slot): number | undefined {
    const topic = this.topicCounts(slot.topic);
    let best: number | undefined;
    for (let id = 0; id < this.brokers; id++) {
      if (slot.members.includes(id) || this.load[id]! >= this.target[id]!) continue;
      if (
        best === undefined ||
        topic[id]! < topic[best]! ||
        (topic[id] === topic[best] &&
          this.target[id]! - this.load[id]! > this.target[best]! - this.load[best]!)
      ) {
        best = id;
      }
    }
    return best;
  }

  /**
   * Every broker with room already holds this partition. Then some broker `full` outside it is at
   * its share, and some other partition holds `full` but not `roomy` (a broker with room): that
   * one moves its replica from `full` to `roomy`, and `full` takes this partition. (Such a
   * partition exists: if all of `full`'s partitions also held `roomy`, `roomy` would hold more
   * than `full`'s share plus one, so it would have no room.)
   */
  private makeRoomFor(slot: Slot): number {
    for (let roomy = 0; roomy < this.brokers; roomy++) {
      if (this.load[roomy]! >= this.target[roomy]!) continue;
      for (let full = 0; full < this.brokers; full++) {
        if (slot.members.includes(full)) continue;
        const other = this.slots.find(
          (o) => o !== slot && o.members.includes(full) && !o.members.includes(roomy),
        );
        if (!other) continue;
        other.members[other.members.indexOf(full)] = roomy;
        this.remove(other, full);
        this.add(other, roomy);
        return full;
      }
    }
    // Unreachable when replication factors fit (checked first); a bug otherwise.
    throw new Error(`no broker can take a replica of ${slot.topic}-${slot.partition}`);
  }
}

/** Preferred leaders: counts within one of each other, current leaders kept where possible. */
class Leaders {
  private readonly count: number[];

  constructor(
    private readonly slots: Slot[],
    private readonly brokers: number,
  ) {
    this.count = new Array<number>(brokers).fill(0);
  }

  assign(): void {
    // Current leaders stay, up to the larger share each: beyond it some must change anyway.
    const ceiling = Math.ceil(this.slots.length / this.brokers);
    const open: Slot[] = [];
    for (const slot of this.slots) {
      const current = slot.original[0];
      if (
        current !== undefined &&
        slot.members.includes(current) &&
        this.count[current]! < ceiling
      ) {
        this.lead(slot, current);
      } else {
        open.push(slot);
      }
    }
    for (const slot of open) {
      this.lead(
        slot,
        slot.members.reduce((a, b) => (this.count[b]! < this.count[a]! ? b : a)),
      );
    }
    while (this.spread() > 1) {
      if (this.shiftAlongPath()) continue;
      if (this.exchange()) continue;
      break; // Not reachable by leadership moves or replica exchanges: the best there is.
    }
  }

  private lead(slot: Slot, id: number): void {
    slot.leader = id;
    this.count[id]!++;
  }

  private spread(): number {
    return Math.max(...this.count) - Math.min(...this.count);
  }

  /**
   * From the brokers leading the most, follow "leads a partition that broker X also holds" edges
   * to a broker leading at least two fewer; moving each leadership one step along that path
   * lowers the top by one and raises the bottom by one.
   */
  private shiftAlongPath(): boolean {
    const max = Math.max(...this.count);
    const led = new Map<number, Slot[]>();
    for (const slot of this.slots) {
      const list = led.get(slot.leader) ?? [];
      list.push(slot);
      led.set(slot.leader, list);
    }
    const via = new Map<number, { from: number; slot: Slot } | null>();
    const queue: number[] = [];
    for (let id = 0; id < this.brokers; id++) {
      if (this.count[id] === max) {
        via.set(id, null);
        queue.push(id);
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const from = queue[head]!;
      for (const slot of led.get(from) ?? []) {
        for (const to of slot.members) {
          if (via.has(to)) continue;
          via.set(to, { from, slot });
          if (this.count[to]! <= max - 2) {
            this.follow(via, to);
            return true;
          }
          queue.push(to);
        }
      }
    }
    return false;
  }

  private follow(via: Map<number, { from: number; slot: Slot } | null>, end: number): void {
    let to = end;
    for (let step = via.get(to); step; step = via.get(to)) {
      step.slot.leader = to;
      this.count[to]!++;
      this.count[step.from]!--;
      to = step.from;
    }
  }

  /**
   * No leadership move helps: the under-led broker holds none of the over-led brokers'
   * partitions. Swap one replica between two partitions (replica counts stay the same): a
   * partition led by an over-led broker takes the under-led broker in place of one of its
   * replicas, and a partition the under-led broker follows takes that replica instead.
   */
  private exchange(): boolean {
    const max = Math.max(...this.count);
    const min = Math.min(...this.count);
    for (let low = 0; low < this.brokers; low++) {
      if (this.count[low] !== min) continue;
      for (const q of this.slots) {
        if (this.count[q.leader] !== max || q.members.includes(low)) continue;
        for (const given of q.members) {
          const r = this.slots.find(
            (s) =>
              s !== q && s.leader !== low && s.members.includes(low) && !s.members.includes(given),
          );
          if (!r) continue;
          q.members[q.members.indexOf(given)] = low;
          r.members[r.members.indexOf(low)] = given;
          this.count[q.leader]!--;
          q.leader = low;
          this.count[low]!++;
          return true;
        }
      }
    }
    return false;
  }
}

function summarise(slots: Slot[], brokers: number): PlanSummary {
  const replicasPerBroker = new Array<number>(brokers).fill(0);
  const leadersPerBroker = new Array<number>(brokers).fill(0);
  const moves: PartitionMove[] = [];
  let replicasMoved = 0;
  let leadersChanged = 0;
  for (const slot of slots) {
    const replicas = [slot.leader, ...slot.members.filter((id) => id !== slot.leader)];
    for (const id of replicas) replicasPerBroker[id]!++;
    leadersPerBroker[slot.leader]!++;
    replicasMoved += replicas.filter((id) => !slot.original.includes(id)).length;
    if (slot.original[0] !== slot.leader) leadersChanged++;
    const same =
      replicas.length === slot.original.length &&
      replicas.every((id, i) => slot.original[i] === id);
    if (!same) moves.push({ topic: slot.topic, partition: slot.partition, replicas });
  }
  return {
    plan: { partitions: moves },
    replicasMoved,
    leadersChanged,
    replicasPerBroker,
    leadersPerBroker,
  };
}

/** The JSON kafka-reassign-partitions --reassignment-json-file reads, one partition per line. */
export function formatPlan(plan: ReassignmentPlan): string {
  const lines = plan.partitions.map((move) =>
    JSON.stringify({ topic: move.topic, partition: move.partition, replicas: move.replicas }),
  );
  return lines.length === 0
    ? '{"version":1,"partitions":[]}\n'
    : `{"version":1,"partitions":[\n${lines.join(',\n')}\n]}\n`;
}
