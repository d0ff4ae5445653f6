/**
 * Golden cases shared by every door into the transformation: the post-renderer (here), and the
 * mutating webhook and `check` (which read the same list). Inputs are the real cp-helm-charts
 * renders in ../shared, and renders of value sets it does not hold in test/golden/inputs (made the
 * same way, see its README); expectations live in test/golden/expected and change only through
 * `KW_UPDATE_GOLDEN=1 npm test` followed by a reviewed `git diff`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { CHART_VERSIONS, sharedDir } from '../support/paths';

export interface GoldenCase {
  name: string;
  input: string;
  config?: string;
  expected: string;
}

export const GOLDEN_DIR = __dirname;
const CONFIGURED: [version: string, valueSet: string, config: string][] = [
  ['0.6.1', 'default', 'tls-only'],
  ['0.5.0', 'default', 'tls-only'],
  ['0.6.1', 'default', 'nodeport'],
  ['0.6.1', 'nodeport', 'nodeport'],
  ['0.5.0', 'default', 'nodeport-first-port'],
  ['0.6.1', 'brokers5', 'loadbalancer'],
  ['0.6.1', 'kafka-zk-only', 'hostname'],
  ['0.6.1', 'default', 'minimal'],
  ['0.6.1', 'default', 'sasl'],
  ['0.6.1', 'default', 'sasl-tls-only'],
  ['0.6.1', 'default', 'content-hash'],
  ['0.6.1', 'default', 'roll-gate'],
  ['0.5.0', 'default', 'roll-gate'],
  // The chart's first NodePort is not its default here: every door must read it from the chart.
  ['0.6.1', 'nodeport-32400', 'nodeport'],
  ['0.6.1', 'default', 'interbroker-plaintext'],
  ['0.6.1', 'default', 'sasl-keep-ssl'],
  ['0.6.1', 'default', 'sasl-keep-ssl-switched'],
];
/** Value sets rendered in test/golden/inputs rather than ../shared. */
const OWN_INPUTS = new Set(['0.6.1/nodeport-32400']);

export function goldenCases(): GoldenCase[] {
  const rendered = path.join(sharedDir(), 'cp-helm-charts', 'rendered');
  const cases: GoldenCase[] = [];
  for (const version of CHART_VERSIONS) {
    for (const file of readdirSync(path.join(rendered, version)).sort()) {
      const valueSet = file.replace(/\.yaml$/, '');
      cases.push({
        name: `${version}/${valueSet}`,
        input: path.join(rendered, version, file),
        expected: path.join(GOLDEN_DIR, 'expected', version, `${valueSet}.yaml`),
      });
    }
  }
  for (const [version, valueSet, config] of CONFIGURED) {
    const inputs = OWN_INPUTS.has(`${version}/${valueSet}`)
      ? path.join(GOLDEN_DIR, 'inputs')
      : rendered;
    cases.push({
      name: `${version}/${valueSet} with ${config}`,
      input: path.join(inputs, version, `${valueSet}.yaml`),
      config: path.join(GOLDEN_DIR, 'configs', `${config}.yaml`),
      expected: path.join(GOLDEN_DIR, 'expected', version, `${valueSet}@${config}.yaml`),
    });
  }
  return cases;
}

/**
 * Upgrades of a deployed release, judged by every door: `check --old DEPLOYED NEW`, `render
 * --previous DEPLOYED` (the post-renderer on `helm upgrade`) and the validating webhook (UPDATE, the
 * deployed StatefulSet as the old object). All on the real 0.6.1 default render: the release as
 * deployed is the stock render (installed without kafka-warden) or a golden output (installed with
 * that configuration); the upgrade is the same chart render with the next configuration. The
 * listener migrations, as docs/policy.md (`listener-migration`) describes them: the one-roll
 * changes are denied, every roll of the sanctioned sequences is allowed.
 */
export interface UpgradeCase {
  name: string;
  /** The release as deployed (`helm get manifest`). */
  previous: string;
  /** The chart's render for the upgrade, and kafka-warden's configuration for it. */
  input: string;
  config?: string;
  /** What kafka-warden renders from `input` with `config` (a golden output). */
  rendered: string;
  /** What `check --old previous rendered` prints, byte for byte. */
  expected: string;
}

/** `stock`: the chart without kafka-warden; `defaults`: kafka-warden without a configuration. */
const UPGRADES: [previous: string, next: string][] = [
  // PLAINTEXT → TLS (the first case, then its two rolls)
  ['stock', 'defaults'],
  ['stock', 'interbroker-plaintext'],
  ['interbroker-plaintext', 'defaults'],
  ['stock', 'tls-only'],
  ['defaults', 'tls-only'],
  // TLS → SASL (the second case, then its three rolls)
  ['tls-only', 'sasl-tls-only'],
  ['defaults', 'sasl'],
  ['tls-only', 'sasl-keep-ssl'],
  ['sasl-keep-ssl', 'sasl-keep-ssl-switched'],
  ['sasl-keep-ssl-switched', 'sasl-tls-only'],
  // SASL_SSL → SSL, and back from TLS to PLAINTEXT
  ['sasl-tls-only', 'tls-only'],
  ['sasl-tls-only', 'sasl-keep-ssl-switched'],
  ['sasl-keep-ssl-switched', 'sasl-keep-ssl'],
  ['sasl-keep-ssl', 'tls-only'],
  ['defaults', 'minimal'],
  ['defaults', 'interbroker-plaintext'],
  ['interbroker-plaintext', 'minimal'],
];

export function upgradeCases(): UpgradeCase[] {
  const input = path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml');
  const output = (config: string) =>
    path.join(
      GOLDEN_DIR,
      'expected',
      '0.6.1',
      config === 'defaults' ? 'default.yaml' : `default@${config}.yaml`,
    );
  return UPGRADES.map(([previous, next]) => ({
    name: `0.6.1/default: ${previous} → ${next}`,
    previous: previous === 'stock' ? input : output(previous),
    input,
    ...(next === 'defaults' ? {} : { config: path.join(GOLDEN_DIR, 'configs', `${next}.yaml`) }),
    rendered: output(next),
    expected: path.join(
      GOLDEN_DIR,
      'expected',
      'upgrades',
      `0.6.1-default@${previous}--${next}.txt`,
    ),
  }));
}
