/**
 * Helm 3 and Helm 4 against the test control plane. Runs are asynchronous (spawn, not spawnSync) so
 * the test process keeps reading `kafka-warden serve`'s output while helm waits on admission, and
 * each is bounded by a timeout.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ControlPlane } from './control-plane';
import { IsolatedHelm, type HelmMajor, type HelmRun } from './helm';
import { REPO_ROOT, sharedDir } from './paths';

const NO_PROXY_ENV = { HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '' };

export class ClusterHelm {
  private readonly helm: IsolatedHelm;

  constructor(
    readonly major: HelmMajor,
    private readonly cp: ControlPlane,
  ) {
    this.helm = new IsolatedHelm(major);
  }

  /** Helm with the cluster's kubeconfig; resolves with status and output, never rejects on exit codes. */
  run(args: string[], timeoutMs = 120_000): Promise<HelmRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.helm.binary, [...args, '--kubeconfig', this.cp.kubeconfigPath], {
        env: { ...this.helm.env, ...NO_PROXY_ENV, KUBECONFIG: this.cp.kubeconfigPath },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (status, signal) => {
        clearTimeout(timer);
        resolve({
          status: signal ? null : status,
          stdout,
          stderr: signal ? `${stderr}\nkilled by ${signal} after ${timeoutMs} ms` : stderr,
        });
      });
    });
  }

  /** Helm 4 only: installs the kafka-warden post-renderer plugin from dist/helm-plugin. */
  async installPlugin(): Promise<void> {
    const result = await this.run([
      'plugin',
      'install',
      path.join(REPO_ROOT, 'dist', 'helm-plugin'),
    ]);
    if (!`${result.stdout}${result.stderr}`.includes('Installed plugin: kafka-warden')) {
      throw new Error(`helm plugin install failed: ${result.stdout}${result.stderr}`);
    }
  }

  /** `--post-renderer` for kafka-warden: the executable (Helm 3) or the plugin's name (Helm 4). */
  wardenPostRenderer(): string[] {
    return [
      '--post-renderer',
      this.major === 3 ? path.join(REPO_ROOT, 'bin', 'kafka-warden-post-renderer') : 'kafka-warden',
    ];
  }

  cleanup(): void {
    rmSync(this.helm.home, { recursive: true, force: true });
  }
}

export function chartPackage(version: '0.5.0' | '0.6.1'): string {
  return path.join(sharedDir(), 'charts', `cp-helm-charts-${version}.tgz`);
}

/** cp-kafka and cp-zookeeper only (schema registry, connect, REST proxy, ksqlDB, control center off). */
export function kafkaZkOnlyValues(): string {
  return path.join(sharedDir(), 'cp-helm-charts', 'values', 'kafka-zk-only.yaml');
}

/**
 * The smallest fix that lets the stock chart install on Kubernetes ≥ 1.25 without kafka-warden's
 * post-renderer: a Helm 3 post-renderer that rewrites `apiVersion: policy/v1beta1` to `policy/v1`
 * and nothing else (the only policy/v1beta1 kind cp-helm-charts renders is the ZooKeeper
 * PodDisruptionBudget, whose spec means the same in both versions). Helm's --set cannot change an
 * apiVersion. Returns the script's path and a cleanup.
 */
export function pdbApiVersionPostRenderer(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-pdb-v1-'));
  const script = path.join(dir, 'pdb-policy-v1');
  writeFileSync(
    script,
    '#!/bin/sh\n# policy/v1beta1 PodDisruptionBudget -> policy/v1; everything else unchanged\n' +
      "exec sed -e 's#^apiVersion: policy/v1beta1[[:space:]]*$#apiVersion: policy/v1#'\n",
  );
  chmodSync(script, 0o755);
  return { path: script, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
