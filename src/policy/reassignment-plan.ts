/**
 * The JSON that `kafka-reassign-partitions --reassignment-json-file` reads:
 * `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}`.
 * Parsing is strict: a plan kafka-reassign-partitions would refuse is no evidence of a safe change.
 */
import { isRecord } from '../core/k8s-types';

export interface PartitionMove {
  topic: string;
  partition: number;
  replicas: number[];
}

export interface ReassignmentPlan {
  partitions: PartitionMove[];
}

export type PlanParse = { ok: true; plan: ReassignmentPlan } | { ok: false; problem: string };

export function parseReassignmentPlan(text: string): PlanParse {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not valid JSON (${(error as Error).message})` };
  }
  if (!isRecord(data)) return { ok: false, problem: 'not a JSON object' };
  if (data.version !== 1) return { ok: false, problem: '"version" must be 1' };
  if (!Array.isArray(data.partitions)) {
    return { ok: false, problem: '"partitions" must be a list' };
  }
  const partitions: PartitionMove[] = [];
  for (const [index, entry] of data.partitions.entries()) {
    const problem = partitionProblem(entry);
    if (problem) return { ok: false, problem: `partitions[${index}]: ${problem}` };
    const { topic, partition, replicas } = entry as unknown as PartitionMove;
    partitions.push({ topic, partition, replicas });
  }
  return { ok: true, plan: { partitions } };
}

function partitionProblem(entry: unknown): string | undefined {
  if (!isRecord(entry)) return 'not an object';
  if (typeof entry.topic !== 'string' || entry.topic === '') return '"topic" must be a name';
  if (!isBrokerId(entry.partition)) return '"partition" must be a number ≥ 0';
  const replicas = entry.replicas;
  if (!Array.isArray(replicas) || replicas.length === 0 || !replicas.every(isBrokerId)) {
    return '"replicas" must be a non-empty list of broker ids';
  }
  if (new Set(replicas).size !== replicas.length) return '"replicas" lists a broker twice';
  if (
    entry.log_dirs !== undefined &&
    (!Array.isArray(entry.log_dirs) || entry.log_dirs.length !== replicas.length)
  ) {
    return '"log_dirs" must have one entry per replica';
  }
  return undefined;
}

function isBrokerId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** `topic-partition` names of the moves that place a replica on any of `brokerIds`. */
export function partitionsOn(plan: ReassignmentPlan, brokerIds: ReadonlySet<number>): string[] {
  return plan.partitions
    .filter((move) => move.replicas.some((id) => brokerIds.has(id)))
    .map((move) => `${move.topic}-${move.partition}`);
}

/** Every broker id the plan places a replica on. */
export function brokersIn(plan: ReassignmentPlan): Set<number> {
  return new Set(plan.partitions.flatMap((move) => move.replicas));
}
