/**
 * values.schema.json: strict (a typo fails `helm template`/`install`, naming the field, with Helm 3
 * and Helm 4 alike), in step with src/config's policy and injection schemas, and with every value
 * documented in docs/webhook.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { REPO_ROOT } from '../../support/paths';
import {
  CHART_DIR,
  HELM_MAJORS,
  embeddedDefinitions,
  find,
  readChartSchema,
  refreshChartSchema,
  render,
  templateRun,
  type K8sObject,
} from './chart-support';

type ConfigMap = K8sObject & { data: Record<string, string> };

describe('values.schema.json', () => {
  it('embeds src/config/policy-schema.json and src/config/schema.json as they are now', () => {
    if (process.env.KW_UPDATE_CHART_SCHEMA === '1') refreshChartSchema();
    const { definitions } = readChartSchema();
    const embedded = Object.fromEntries(
      Object.entries(definitions).filter(([key]) => !key.startsWith('chart.')),
    );
    // On failure: KW_UPDATE_CHART_SCHEMA=1 npx jest --selectProjects chart -t embeds, then prettier.
    expect(embedded).toEqual(embeddedDefinitions());
  });

  it('has a chart version and an appVersion equal to package.json', () => {
    const chart = load(readFileSync(path.join(CHART_DIR, 'Chart.yaml'), 'utf8')) as {
      apiVersion: string;
      appVersion: string;
    };
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('documents every value of values.yaml in docs/webhook.md', () => {
    const values = load(readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    const leaves: string[] = [];
    const walk = (value: unknown, prefix: string) => {
      const isMap = typeof value === 'object' && value !== null && !Array.isArray(value);
      // Free-form maps ({} by default) are documented by their own name.
      if (!isMap || Object.keys(value).length === 0) {
        leaves.push(prefix);
        return;
      }
      for (const [key, inner] of Object.entries(value))
        walk(inner, prefix ? `${prefix}.${key}` : key);
    };
    walk(values, '');
    const docs = readFileSync(path.join(REPO_ROOT, 'docs', 'webhook.md'), 'utf8');
    const missing = leaves.filter((leaf) => !docs.includes(`\`${leaf}\``));
    expect(missing).toEqual([]);
  });

  describe.each(HELM_MAJORS)('with Helm %i', (major) => {
    it.each([
      ['a typo at the top level', { replicaCont: 3 }, 'replicaCont'],
      [
        'a typo in a nested key',
        { webhooks: { mutating: { failurPolicy: 'Fail' } } },
        'failurPolicy',
      ],
      [
        'a value outside an enum',
        { webhooks: { validating: { failurePolicy: 'Never' } } },
        'failurePolicy',
      ],
      [
        'a timeout above 30 s',
        { webhooks: { mutating: { timeoutSeconds: 31 } } },
        'timeoutSeconds',
      ],
      [
        'a sideEffects the API server refuses on dry runs',
        { webhooks: { validating: { sideEffects: 'Some' } } },
        'sideEffects',
      ],
      ['a typo in the certificate settings', { certManager: { enable: true } }, 'enable'],
      ['a typo in an RBAC toggle', { rbac: { readPlanConfigMap: false } }, 'readPlanConfigMap'],
      ['a typo in the Secret issuer', { secretIssuer: { intervalSecond: 5 } }, 'intervalSecond'],
      [
        'an unknown policy rule',
        { policy: { rules: { 'ordered-redy': { mode: 'warn' } } } },
        'ordered-redy',
      ],
      ['a bad policy mode', { policy: { rules: { 'ordered-ready': { mode: 'block' } } } }, 'mode'],
      [
        'a typo in the injection configuration',
        { injection: { tls: { enabeld: false } } },
        'enabeld',
      ],
    ])('refuses %s, naming the field', (_what, values, field) => {
      const run = templateRun({ major, values });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/schema/);
      expect(run.stderr).toContain(field);
    });

    it('accepts the example policy of docs/policy.md and the full default injection configuration', () => {
      const policyDoc = readFileSync(path.join(REPO_ROOT, 'docs', 'policy.md'), 'utf8');
      const example = /<!-- example-policy -->\s*```yaml\n([\s\S]*?)```/.exec(policyDoc)?.[1];
      expect(example).toBeDefined();
      const defaults = execFileSync(
        process.execPath,
        [path.join(REPO_ROOT, 'bin', 'kafka-warden'), 'defaults'],
        { encoding: 'utf8' },
      );
      const policy = load(example ?? '') as Record<string, unknown>;
      const injection = load(defaults) as Record<string, unknown>;
      const objects = render({ major, values: { policy, injection } });
      const policyMap = find<ConfigMap>(objects, 'ConfigMap', 'kafka-warden-policy');
      expect(load(policyMap.data['policy.yaml'] ?? '')).toEqual(policy);
      const injectionMap = find<ConfigMap>(objects, 'ConfigMap', 'kafka-warden-injection');
      expect(load(injectionMap.data['config.yaml'] ?? '')).toEqual(injection);
    });
  });
});
