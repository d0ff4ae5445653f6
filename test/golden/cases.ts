/**
 * Golden cases shared by every door into the transformation: the post-renderer (here), and the
 * mutating webhook and `check` (which read the same list). Inputs are the real cp-helm-charts
 * renders in ../shared; expectations live in test/golden/expected and change only through
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
  ['0.6.1', 'default', 'interbroker-plaintext'],
  ['0.6.1', 'default', 'sasl-keep-ssl'],
  ['0.6.1', 'default', 'sasl-keep-ssl-switched'],
];

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
    cases.push({
      name: `${version}/${valueSet} with ${config}`,
      input: path.join(rendered, version, `${valueSet}.yaml`),
      config: path.join(GOLDEN_DIR, 'configs', `${config}.yaml`),
      expected: path.join(GOLDEN_DIR, 'expected', version, `${valueSet}@${config}.yaml`),
    });
  }
  return cases;
}
