/**
 * Fuzz target: the post-renderer. In process, what `kafka-warden render` runs (renderRelease, then
 * the policy over the result, with the uncorrupted release as --previous for some cases) on seeded
 * corruptions of the real chart renders and of kafka-warden's golden outputs
 * (support/corrupt-yaml.ts); then a few of the same cases through the real executables.
 *
 * Invariants: every case ends in a result or a WardenError with a KW_ code, never another
 * exception (a TypeError is a crash with "internal error" and exit 70 for Helm's user, a RangeError
 * a stack overflow); every case within CASE_BOUND_MS; a failing CLI writes nothing to stdout (Helm
 * would apply half a release) and names its KW_ code on stderr.
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load-config';
import { resolveConfig, type WardenConfig } from '../../src/core/config';
import { WardenError } from '../../src/core/errors';
import type { KubeObject } from '../../src/core/k8s-types';
import { evaluateRelease } from '../../src/policy/evaluate-release';
import { parseManifests } from '../../src/policy/parse-manifests';
import { renderRelease } from '../../src/postrender/render';
import { runCli, runPostRenderer, type CliResult } from '../support/run-cli';
import {
  caseSeed,
  causeOf,
  fuzzBudget,
  printSummary,
  Problems,
  random,
  replayHint,
  Slowest,
  Tally,
} from './support/budget';
import { manifestTexts, type ManifestText } from './support/corpus';
import { corruptYaml } from './support/corrupt-yaml';

const BUDGET = fuzzBudget({ cases: 5000, seconds: 35 });
/** Real executables: each is a process start (~60–150 ms), so only a few. */
const CLI_CASES = Math.min(BUDGET.cases, 24);
/**
 * A real render takes ~10 ms. A corrupted one may hold a 1 MB string of control characters, which
 * js-yaml's writer escapes a character at a time: ~1 s here, most of it garbage collection. The
 * bound is for what grows faster than the input (seconds to minutes), with room for a loaded
 * machine.
 */
const CASE_BOUND_MS = 5000;
/** A process: start-up, plus the case, on a loaded two-core machine. */
const CLI_BOUND_MS = 15_000;

interface Input extends ManifestText {
  config: WardenConfig;
  previous: KubeObject[];
}

function inputs(): Input[] {
  const configs = new Map<string, WardenConfig>();
  return manifestTexts().map((text) => {
    let config = resolveConfig();
    if (text.configPath) {
      config =
        configs.get(text.configPath) ??
        parseConfig(readFileSync(text.configPath, 'utf8'), text.configPath);
      configs.set(text.configPath, config);
    }
    return { ...text, config, previous: parseManifests(text.text, text.name).map((s) => s.object) };
  });
}

interface Case {
  seed: number;
  input: Input;
  text: string;
  corruptions: string[];
  withPrevious: boolean;
}

function buildCase(seed: number, all: Input[]): Case {
  const rng = random(seed);
  const input = rng.pick(all);
  let text = input.text;
  const corruptions: string[] = [];
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
    const corrupted = corruptYaml(rng, text);
    text = corrupted.text;
    corruptions.push(corrupted.name);
  }
  return { seed, input, text, corruptions, withPrevious: rng.chance(0.3) };
}

/** What `render` does in process: 'ok', 'KW_…', or what it threw otherwise. */
async function renderInProcess(fuzz: Case): Promise<string | { thrown: unknown }> {
  try {
    const result = renderRelease(fuzz.text, fuzz.input.config);
    const verdicts = await evaluateRelease({
      objects: result.objects,
      ...(fuzz.withPrevious ? { previousObjects: fuzz.input.previous } : {}),
      detection: fuzz.input.config.detection,
      namespace: 'default',
    });
    return verdicts.some((v) => !v.verdict.allowed) ? 'KW_POLICY_DENIED' : 'ok';
  } catch (error) {
    if (error instanceof WardenError && /^KW_[A-Z_]+$/.test(error.code)) return error.code;
    return { thrown: error };
  }
}

test(
  `the post-renderer ends every one of ${BUDGET.cases} corrupted releases in a result or a KW_ error, each within ${CASE_BOUND_MS} ms`,
  async () => {
    const all = inputs();
    const outcomes = new Tally();
    const corruptions = new Tally();
    const problems = new Problems();
    const started = performance.now();
    const deadline = started + BUDGET.timeMs;
    const slowest = new Slowest();
    let ran = 0;
    for (; ran < BUDGET.cases && performance.now() < deadline; ran++) {
      const seed = caseSeed(BUDGET, ran);
      const fuzz = buildCase(seed, all);
      for (const c of fuzz.corruptions) corruptions.add(c);
      const caseStarted = performance.now();
      const outcome = await renderInProcess(fuzz);
      const ms = performance.now() - caseStarted;
      slowest.add(ms, `seed ${seed} (${fuzz.text.length} B)`);
      outcomes.add(typeof outcome === 'string' ? outcome : 'crash');
      const what = `seed ${seed} (${fuzz.input.name}; ${fuzz.corruptions.join(',')}${fuzz.withPrevious ? '; --previous' : ''})`;
      if (typeof outcome !== 'string') {
        const e = outcome.thrown as Error;
        problems.add(
          causeOf(e),
          `${what}: threw ${(e?.stack ?? String(e)).split('\n').slice(0, 4).join(' | ')}; ${replayHint('post-renderer.test.ts', seed)}`,
        );
      } else if (ms > CASE_BOUND_MS) {
        problems.add(
          `slow ${seed}`,
          `${what}: took ${Math.round(ms)} ms; ${replayHint('post-renderer.test.ts', seed)}`,
        );
      }
    }
    printSummary(
      'post-renderer',
      BUDGET,
      [
        `cases=${ran}/${BUDGET.cases}`,
        `in ${((performance.now() - started) / 1000).toFixed(1)}s;`,
        `outcomes ${outcomes.toString()};`,
        `slowest ${slowest.toString()}`,
      ],
      corruptions,
    );
    expect(problems.list()).toEqual([]);
  },
  BUDGET.testTimeoutMs,
);

/** The CLI's outcome: 'ok', 'KW_…', or what is wrong with how it failed. */
function cliOutcome(result: CliResult): string {
  if (result.status === 0) return result.stdout.length > 0 ? 'ok' : 'exit 0 with nothing on stdout';
  const code = /: (KW_[A-Z_]+): /.exec(result.stderr)?.[1];
  if (result.stdout.length > 0)
    return `exit ${result.status} with ${result.stdout.length} bytes on stdout`;
  if (result.status !== 1 || !code) return `exit ${result.status}: ${result.stderr.slice(0, 400)}`;
  return code;
}

test(
  `the real executables fail ${CLI_CASES} corrupted releases as the in-process render does, with nothing on stdout`,
  async () => {
    // The executables run with the default configuration: the inputs that go with it.
    const all = inputs().filter((i) => i.configPath === undefined);
    const outcomes = new Tally();
    const problems: string[] = [];
    const slowest = new Slowest();
    for (let i = 0; i < CLI_CASES; i++) {
      // Other seeds than the in-process loop's first cases: more ground covered.
      const seed = caseSeed(BUDGET, 1_000_000 + i);
      const fuzz = { ...buildCase(seed, all), withPrevious: false };
      const inProcess = await renderInProcess(fuzz);
      const expected =
        typeof inProcess === 'string' ? inProcess : `a crash (${causeOf(inProcess.thrown)})`;
      const started = performance.now();
      // The Helm 3 executable (from the render snapshot) and the CLI in turn.
      const result = i % 2 === 0 ? runPostRenderer([], fuzz.text) : runCli(['render'], fuzz.text);
      const ms = performance.now() - started;
      slowest.add(ms, `seed ${seed}`);
      const outcome = cliOutcome(result);
      outcomes.add(outcome.startsWith('KW_') || outcome === 'ok' ? outcome : 'bad');
      const problem =
        ms > CLI_BOUND_MS
          ? `took ${Math.round(ms)} ms`
          : outcome !== expected
            ? `${outcome} where the render in process gave ${expected}`
            : undefined;
      if (problem) {
        problems.push(
          `seed ${seed} (${i % 2 === 0 ? 'kafka-warden-post-renderer' : 'kafka-warden render'}; ${fuzz.input.name}; ${fuzz.corruptions.join(',')}): ${problem}`,
        );
      }
    }
    printSummary('post-renderer CLI', BUDGET, [
      `runs=${CLI_CASES};`,
      `outcomes ${outcomes.toString()};`,
      `slowest ${slowest.toString()}`,
    ]);
    expect(problems).toEqual([]);
  },
  CLI_CASES * CLI_BOUND_MS,
);
