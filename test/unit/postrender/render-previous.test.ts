/**
 * `render --previous DEPLOYED` (and KAFKA_WARDEN_PREVIOUS, how Helm users pass it) judges the
 * upgrade against the release as deployed: a listener migration in one roll is refused, nothing on
 * stdout, the rule and its remedy on stderr, exit 1; the rolls the remedy names render. The Helm 3
 * executable answers the same.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../support/paths';
import { runCli, runPostRenderer } from '../../support/run-cli';
import { renderPath } from '../policy/fixtures';

const stock = renderPath('0.6.1', 'default');
const chart = readFileSync(stock, 'utf8');
const configs = path.join(REPO_ROOT, 'test', 'golden', 'configs');
const golden = (name: string) =>
  path.join(REPO_ROOT, 'test', 'golden', 'expected', '0.6.1', `${name}.yaml`);

describe('render --previous, given a listener migration', () => {
  test('the stock release → the defaults (SSL added and replicated over in one roll): refused, naming the first roll', () => {
    const result = runCli(['render', '--previous', stock], chart);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('KW_POLICY_DENIED');
    expect(result.stderr).toContain(
      '[listener-migration] StatefulSet/my-cp-cp-kafka changes the listener brokers replicate over from PLAINTEXT to SSL in one roll',
    );
    expect(result.stderr).toContain(
      '(1) add SSL to every broker and keep replicating over PLAINTEXT',
    );
    expect(result.stderr).toContain(
      'tls.keepPlaintext: true and tls.interBrokerListener: PLAINTEXT',
    );
    expect(result.stderr).toContain('(2) this change as it is');
  });

  test('given through KAFKA_WARDEN_PREVIOUS, and by the Helm 3 executable: the same refusal', () => {
    const byEnv = runCli(['render'], chart, { KAFKA_WARDEN_PREVIOUS: stock });
    expect(byEnv.status).toBe(1);
    expect(byEnv.stderr).toContain('[listener-migration]');
    const helm3 = runPostRenderer(['--previous', stock], chart);
    expect(helm3).toEqual(runCli(['render', '--previous', stock], chart));
  });

  test('the first roll renders (tls.interBrokerListener: PLAINTEXT), and the defaults render after it', () => {
    const first = runCli(
      ['render', '--previous', stock, '--config', path.join(configs, 'interbroker-plaintext.yaml')],
      chart,
    );
    expect(first.status).toBe(0);
    expect(first.stdout).toBe(readFileSync(golden('default@interbroker-plaintext'), 'utf8'));
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-render-previous-'));
    const deployed = path.join(dir, 'deployed.yaml');
    writeFileSync(deployed, first.stdout);
    const second = runCli(['render', '--previous', deployed], chart);
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(readFileSync(golden('default'), 'utf8'));
  });

  test('the deployed TLS release → SASL with PLAINTEXT dropped: refused, naming sasl.keepSslListener', () => {
    const result = runCli(
      [
        'render',
        '--previous',
        golden('default@tls-only'),
        '--config',
        path.join(configs, 'sasl-tls-only.yaml'),
      ],
      chart,
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('from SSL to SASL_SSL in one roll');
    expect(result.stderr).toContain('sasl.keepSslListener: true');
  });

  test('with the rule in warn mode, renders with a warning', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-render-previous-'));
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, 'rules:\n  listener-migration:\n    mode: warn\n');
    const result = runCli(['render', '--previous', stock, '--policy', policy], chart);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(readFileSync(golden('default'), 'utf8'));
    expect(result.stderr).toContain('listener-migration: one roll adds listener SSL');
  });
});
