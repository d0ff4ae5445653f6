import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPolicyFile, parsePolicy } from '../../../src/config/load-policy';
import schema from '../../../src/config/policy-schema.json';
import { WardenError } from '../../../src/core/errors';
import { DEFAULT_POLICY, settingsFor } from '../../../src/policy/policy';
import { DEFAULT_RULES } from '../../../src/policy/rules';
import { REPO_ROOT } from '../../support/paths';

function problem(text: string): string {
  try {
    parsePolicy(text, 'policy.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('KW_POLICY_INVALID');
    return (error as Error).message;
  }
  throw new Error('the policy was accepted');
}

const INVALID: [name: string, text: string, mentions: string[]][] = [
  [
    'an unknown rule',
    'rules: {no-such-rule: {mode: warn}}',
    [
      'policy.yaml: invalid policy',
      'rules.no-such-rule: unknown field (known: ordered-ready, update-strategy,',
    ],
  ],
  [
    'an unknown mode',
    'rules: {ordered-ready: {mode: block}}',
    ['rules.ordered-ready.mode: must be one of "enforce", "warn", "audit"'],
  ],
  [
    'a misspelt parameter',
    'rules: {update-strategy: {parameters: {maxUnavalable: 2}}}',
    ['rules.update-strategy.parameters.maxUnavalable: unknown field (known: maxUnavailable)'],
  ],
  [
    'a parameter of the wrong type',
    'rules: {update-strategy: {parameters: {maxUnavailable: "2"}}}',
    ['rules.update-strategy.parameters.maxUnavailable: must be integer'],
  ],
  [
    'a parameter out of range',
    'rules: {update-strategy: {parameters: {maxUnavailable: 0}}}',
    ['rules.update-strategy.parameters.maxUnavailable: must be >= 1'],
  ],
  [
    "another rule's parameter",
    'rules: {ordered-ready: {parameters: {maxUnavailable: 1}}}',
    ['rules.ordered-ready.parameters.maxUnavailable: unknown field'],
  ],
  [
    'a namespace that cannot exist',
    'namespaceOverrides: {Not_A_Namespace: {ordered-ready: {mode: warn}}}',
    ['namespaceOverrides.Not_A_Namespace: not a namespace name'],
  ],
  [
    'exemptions in a namespace override (only mode and parameters)',
    'namespaceOverrides: {dev: {ordered-ready: {exemptions: {}}}}',
    ['namespaceOverrides.dev.ordered-ready.exemptions: unknown field'],
  ],
  [
    'an In expression without values',
    'rules: {kafka-version: {exemptions: {selector: {matchExpressions: [{key: tier, operator: In}]}}}}',
    [
      'rules.kafka-version.exemptions.selector.matchExpressions.0.values: required (non-empty) for operator In',
    ],
  ],
  [
    'an Exists expression with values',
    'exemptions: {selector: {matchExpressions: [{key: tier, operator: Exists, values: [x]}]}}',
    ['exemptions.selector.matchExpressions.0.values: must be empty for operator Exists'],
  ],
  [
    'an empty selector (it would exempt everything)',
    'exemptions: {selector: {}}',
    ['exemptions.selector: must NOT have fewer than 1 properties'],
  ],
  [
    'a probe deadline of zero',
    'clusterState: {timeoutMs: 0}',
    ['clusterState.timeoutMs: must be >= 1'],
  ],
  [
    'live-check settings on a rule that asks no live question',
    'rules: {ordered-ready: {clusterState: {failOpen: false}}}',
    ['rules.ordered-ready.clusterState: unknown field (known: mode, parameters, exemptions)'],
  ],
  [
    "a rule's probe deadline out of range",
    'rules: {rolling-restart: {clusterState: {timeoutMs: 60000}}}',
    ['rules.rolling-restart.clusterState.timeoutMs: must be <= 30000'],
  ],
  [
    'live-check settings in a namespace override (policy-wide or per rule only)',
    'namespaceOverrides: {dev: {broker-scaling: {clusterState: {failOpen: true}}}}',
    ['namespaceOverrides.dev.broker-scaling.clusterState: unknown field'],
  ],
  [
    'an unknown low-replication action',
    'rules: {rolling-restart: {parameters: {lowReplicationFactor: block}}}',
    [
      'rules.rolling-restart.parameters.lowReplicationFactor: must be one of "fail", "warn", "ignore"',
    ],
  ],
  ['a list instead of a mapping', '- rules', ['(top level): must be object']],
  ['text that is not YAML', 'rules: {ordered-ready: [', ['policy.yaml: not valid YAML']],
];

describe('a policy file', () => {
  test('that is empty means the defaults', () => {
    expect(parsePolicy('', 'empty.yaml')).toEqual(DEFAULT_POLICY);
    expect(parsePolicy('# nothing yet\n', 'empty.yaml')).toEqual(DEFAULT_POLICY);
  });

  test.each(INVALID)(
    'given %s, is refused with KW_POLICY_INVALID naming the field',
    (_name, text, mentions) => {
      const message = problem(text);
      for (const mention of mentions) expect(message).toContain(mention);
    },
  );

  test('reports every problem at once', () => {
    const message = problem(
      'rules: {ordered-ready: {mode: x}, update-strategy: {parameters: {maxUnavailable: 0}}}',
    );
    expect(message).toContain('rules.ordered-ready.mode');
    expect(message).toContain('rules.update-strategy.parameters.maxUnavailable');
  });

  test('keeps what it does not set at the defaults', () => {
    const policy = parsePolicy('clusterState: {failOpen: false}', 'p.yaml');
    expect(policy.clusterState).toEqual({ timeoutMs: 2000, failOpen: false });
    expect(policy.lookups).toEqual(DEFAULT_POLICY.lookups);
  });

  test('lets a rule override the live-check settings field by field, naming where failOpen came from', () => {
    const policy = parsePolicy(
      [
        'clusterState: {timeoutMs: 1500, failOpen: true}',
        'rules:',
        '  rolling-restart: {clusterState: {failOpen: false}}',
        '  broker-scaling: {clusterState: {timeoutMs: 800}}',
      ].join('\n'),
      'p.yaml',
    );
    const rule = (id: string) =>
      DEFAULT_RULES.find((r) => r.id === id) as (typeof DEFAULT_RULES)[number];
    expect(settingsFor(policy, rule('rolling-restart'), 'kafka').clusterState).toEqual({
      timeoutMs: 1500,
      failOpen: false,
      setting: 'rules.rolling-restart.clusterState.failOpen',
    });
    expect(settingsFor(policy, rule('broker-scaling'), 'kafka').clusterState).toEqual({
      timeoutMs: 800,
      failOpen: true,
      setting: 'clusterState.failOpen',
    });
    expect(settingsFor(policy, rule('ordered-ready'), 'kafka').clusterState).toEqual({
      timeoutMs: 1500,
      failOpen: true,
      setting: 'clusterState.failOpen',
    });
  });

  test('parsing is pure: the same text, the same policy, and a bad text leaves nothing behind', () => {
    const text = 'rules: {broker-scaling: {mode: warn}}';
    const first = parsePolicy(text, 'a');
    expect(() => parsePolicy('rules: {x: {}}', 'b')).toThrow(WardenError);
    expect(parsePolicy(text, 'a')).toEqual(first);
  });

  test('that cannot be read is KW_POLICY_READ, naming the path', () => {
    let caught: unknown;
    try {
      loadPolicyFile('/nonexistent/policy.yaml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WardenError);
    expect((caught as WardenError).code).toBe('KW_POLICY_READ');
    expect((caught as WardenError).message).toContain('/nonexistent/policy.yaml');
  });

  test('is read from disk by loadPolicyFile', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kw-policy-')), 'policy.yaml');
    writeFileSync(file, 'rules:\n  ordered-ready:\n    mode: audit\n');
    expect(loadPolicyFile(file).rules['ordered-ready']).toEqual({ mode: 'audit' });
  });

  test('the schema knows exactly the default rules, and accepts each rule with its default parameters', () => {
    expect(Object.keys(schema.properties.rules.properties)).toEqual(DEFAULT_RULES.map((r) => r.id));
    const rules = Object.fromEntries(
      DEFAULT_RULES.map((r) => [r.id, { mode: r.defaultMode, parameters: r.defaultParameters }]),
    );
    expect(parsePolicy(JSON.stringify({ rules }), 'defaults.json').rules).toEqual(rules);
  });

  test('the example in docs/policy.md is valid', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'policy.md'), 'utf8');
    const example = /<!-- example-policy -->\s*```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const policy = parsePolicy(example ?? '', 'docs/policy.md');
    expect(Object.keys(policy.rules).length).toBeGreaterThan(0);
  });
});
