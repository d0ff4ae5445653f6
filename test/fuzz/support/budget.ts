/**
 * The bounds and seeds of the fuzz tier (docs/fuzz.md). Every target runs at most `cases` cases and
 * stops earlier at its time budget, so the tier has a known cost on a slow machine; every case is
 * built from its own seed alone, so the one that failed replays with
 * `KW_FUZZ_SEED=<its seed> KW_FUZZ_CASES=1 npx jest test/fuzz/<target>`.
 */
import { seededRandom } from '../../support/seeded-random';

/** The default base seed: fixed, so CI runs the same cases every time and a failure is not luck. */
export const DEFAULT_SEED = 20_240_613;

export interface FuzzBudget {
  /** The first case's seed; case i uses seed + i. */
  seed: number;
  cases: number;
  /** Wall-clock budget for the whole loop; the loop stops at whichever bound comes first. */
  timeMs: number;
  /** For Jest: the budget plus set-up and the slowest single case. */
  testTimeoutMs: number;
}

/**
 * KW_FUZZ_SEED: an integer, or `random` for a fresh one (printed, so a failure can be replayed).
 * KW_FUZZ_CASES: cases per target; the time budget grows in proportion, so a larger count runs
 * longer instead of being cut at the default budget.
 */
export function fuzzBudget(defaults: { cases: number; seconds: number }): FuzzBudget {
  const cases = positiveInteger('KW_FUZZ_CASES') ?? defaults.cases;
  const timeMs = Math.ceil(defaults.seconds * 1000 * Math.max(1, cases / defaults.cases));
  return { seed: baseSeed(), cases, timeMs, testTimeoutMs: timeMs + 60_000 };
}

let chosenSeed: number | undefined;

function baseSeed(): number {
  const raw = process.env.KW_FUZZ_SEED;
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  if (raw === 'random') {
    // One per test file (Jest loads modules afresh for each): both tests of a file share it, and
    // each file prints its own.
    chosenSeed ??= Math.floor(Math.random() * 2 ** 31);
    return chosenSeed;
  }
  if (!/^\d+$/.test(raw) || Number(raw) > 0xffffffff) {
    throw new Error(`KW_FUZZ_SEED must be an integer from 0 to 2^32-1 or "random", got ${raw}`);
  }
  return Number(raw);
}

function positiveInteger(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  }
  return Number(raw);
}

export function caseSeed(budget: FuzzBudget, index: number): number {
  return (budget.seed + index) >>> 0;
}

/** The command that replays one case of a target. */
export function replayHint(target: string, seed: number): string {
  return `replay: KW_FUZZ_SEED=${seed} KW_FUZZ_CASES=1 npx jest test/fuzz/${target}`;
}

/** A seeded generator with the helpers every mutator needs. */
export interface Random {
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function random(seed: number): Random {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
    chance: (p: number) => next() < p,
  };
}

/** Counts outcomes by name, for the summary line. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(outcome: string): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  toString(): string {
    return [...this.counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, count]) => `${name}=${count}`)
      .join(' ');
  }
}

/**
 * One line per target on stdout, outside Jest's console capture (which would add a stack frame to
 * every line): what ran and what came of it, quotable as it is. `generated` (what the cases were
 * made of) follows on a line of its own.
 */
export function printSummary(
  target: string,
  budget: FuzzBudget,
  fields: string[],
  generated?: Tally,
): void {
  process.stdout.write(`fuzz ${target}: seed=${budget.seed} ${fields.join(' ')}\n`);
  if (generated) process.stdout.write(`fuzz ${target} generated: ${generated.toString()}\n`);
}

/** The slowest cases seen, for the summary: where a bound would be hit first. */
export class Slowest {
  private readonly cases: { ms: number; what: string }[] = [];

  constructor(private readonly keep = 1) {}

  add(ms: number, what: string): void {
    if (this.cases.length === this.keep && ms <= (this.cases[this.keep - 1]?.ms ?? 0)) return;
    this.cases.push({ ms, what });
    this.cases.sort((a, b) => b.ms - a.ms).splice(this.keep);
  }

  get maxMs(): number {
    return this.cases[0]?.ms ?? 0;
  }

  toString(): string {
    return this.cases.map((c) => `${Math.round(c.ms)} ms ${c.what}`).join(' | ');
  }
}

/**
 * Failures, one example per cause (for a crash, the place it was thrown), so a report names every
 * distinct bug once instead of the first twenty cases of the commonest.
 */
export class Problems {
  private readonly examples = new Map<string, string>();
  private total = 0;

  add(cause: string, example: string): void {
    this.total++;
    if (!this.examples.has(cause) && this.examples.size < 30) this.examples.set(cause, example);
  }

  get count(): number {
    return this.total;
  }

  list(): string[] {
    return [...this.examples.values()];
  }
}

/** The cause of a thrown error: its type and the first frame of its stack. */
export function causeOf(error: unknown): string {
  const e = error as Error | undefined;
  const frame = /\n\s+at ([^\n]+)/.exec(e?.stack ?? '')?.[1] ?? '';
  return `${e?.name ?? typeof error} at ${frame}`;
}
