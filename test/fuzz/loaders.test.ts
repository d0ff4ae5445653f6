/**
 * Fuzz target: the policy and configuration loaders (parsePolicy, parseConfig), which `serve`
 * re-runs on every change of a mounted file and `render --config` on every Helm command. Seeds are
 * the documented examples (docs/policy.md's example policy, a policy naming every rule with its
 * defaults, the README's and docs/configuration.md's configuration blocks, `kafka-warden defaults`,
 * the golden configurations), corrupted as text (support/corrupt-yaml.ts) or as data (a field of
 * the wrong type, deep, huge, renamed, `__proto__`).
 *
 * Invariant: a result or a WardenError with the loader's KW_ code, within CASE_BOUND_MS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { parseConfig } from '../../src/config/load-config';
import { parsePolicy } from '../../src/config/load-policy';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { WardenError } from '../../src/core/errors';
import { DEFAULT_RULES } from '../../src/policy/rules';
import { dumpYaml11 } from '../../src/manifests/yaml11';
import { REPO_ROOT } from '../support/paths';
import {
  caseSeed,
  causeOf,
  fuzzBudget,
  printSummary,
  random,
  Problems,
  replayHint,
  Slowest,
  Tally,
  type FuzzBudget,
} from './support/budget';
import { corruptYaml } from './support/corrupt-yaml';
import { examplePolicyText, yamlBlocks } from './support/examples';
import type { Json } from './support/hostile-values';
import { mutateOnce } from './support/mutate-json';

/** parsePolicy reuses its compiled schema: cheap cases, many of them. */
const POLICY_BUDGET = fuzzBudget({ cases: 6000, seconds: 25 });
/** parseConfig compiles its schema on every call (~10 ms here), so fewer cases. */
const CONFIG_BUDGET = fuzzBudget({ cases: 1500, seconds: 30 });
/** A loader reads a file of a few KB; a corrupted one may be a few MB, read in linear time. */
const CASE_BOUND_MS = 2000;

function policySeeds(): string[] {
  const everyRule = {
    rules: Object.fromEntries(
      DEFAULT_RULES.map((r) => [r.id, { mode: r.defaultMode, parameters: r.defaultParameters }]),
    ),
  };
  return [examplePolicyText(), dump(everyRule), ''];
}

function configSeeds(): string[] {
  const golden = path.join(REPO_ROOT, 'test', 'golden', 'configs');
  return [
    dumpYaml11(DEFAULT_CONFIG),
    ...yamlBlocks('README.md').filter((b) => b.startsWith('tls:')),
    ...yamlBlocks('docs/configuration.md'),
    ...readdirSync(golden).map((f) => readFileSync(path.join(golden, f), 'utf8')),
  ];
}

function buildText(seed: number, seeds: string[]): { text: string; labels: string[] } {
  const rng = random(seed);
  let text = rng.pick(seeds);
  const labels: string[] = [];
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
    if (rng.chance(0.5)) {
      const corrupted = corruptYaml(rng, text);
      text = corrupted.text;
      labels.push(corrupted.name);
      continue;
    }
    // As data: the schema's types, bounds and names are what is tried.
    let data: unknown;
    try {
      data = load(text);
    } catch {
      continue;
    }
    if (data === null || typeof data !== 'object') continue;
    labels.push(
      `data:${mutateOnce(rng, data as Json, { maxString: 2000, maxArray: 2000, deep: rng.chance(0.2) })}`,
    );
    try {
      text = dump(data, { lineWidth: -1 });
    } catch {
      labels.push('unwritable');
    }
  }
  return { text, labels };
}

function fuzzLoader(
  name: string,
  budget: FuzzBudget,
  seeds: string[],
  parse: (text: string) => unknown,
  code: string,
): void {
  const outcomes = new Tally();
  const corruptions = new Tally();
  const problems = new Problems();
  const started = performance.now();
  const slowest = new Slowest();
  let ran = 0;
  for (; ran < budget.cases && performance.now() < started + budget.timeMs; ran++) {
    const seed = caseSeed(budget, ran);
    const { text, labels } = buildText(seed, seeds);
    for (const label of labels) corruptions.add(label);
    const what = `seed ${seed} (${labels.join(',')})`;
    const caseStarted = performance.now();
    try {
      parse(text);
      outcomes.add('ok');
    } catch (error) {
      if (error instanceof WardenError && error.code === code) outcomes.add(error.code);
      else {
        outcomes.add('crash');
        const e = error as Error;
        problems.add(
          causeOf(error),
          `${what}: threw ${(e?.stack ?? String(e)).split('\n').slice(0, 4).join(' | ')}; ${replayHint('loaders.test.ts', seed)}`,
        );
      }
    }
    const ms = performance.now() - caseStarted;
    slowest.add(ms, `seed ${seed} (${text.length} B)`);
    if (ms > CASE_BOUND_MS) {
      problems.add(
        `slow ${seed}`,
        `${what}: took ${Math.round(ms)} ms; ${replayHint('loaders.test.ts', seed)}`,
      );
    }
  }
  printSummary(
    name,
    budget,
    [
      `cases=${ran}/${budget.cases}`,
      `in ${((performance.now() - started) / 1000).toFixed(1)}s;`,
      `outcomes ${outcomes.toString()};`,
      `slowest ${slowest.toString()}`,
    ],
    corruptions,
  );
  expect(problems.list()).toEqual([]);
}

test(
  `parsePolicy ends each of ${POLICY_BUDGET.cases} corrupted policies in a policy or KW_POLICY_INVALID`,
  () => {
    fuzzLoader(
      'policy loader',
      POLICY_BUDGET,
      policySeeds(),
      (t) => parsePolicy(t, 'fuzz.yaml'),
      'KW_POLICY_INVALID',
    );
  },
  POLICY_BUDGET.testTimeoutMs,
);

test(
  `parseConfig ends each of ${CONFIG_BUDGET.cases} corrupted configurations in a configuration or KW_CONFIG_INVALID`,
  () => {
    fuzzLoader(
      'config loader',
      CONFIG_BUDGET,
      configSeeds(),
      (t) => parseConfig(t, 'fuzz.yaml'),
      'KW_CONFIG_INVALID',
    );
  },
  CONFIG_BUDGET.testTimeoutMs,
);
