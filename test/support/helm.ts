import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

export type HelmMajor = 3 | 4;

/** Helm binaries built by scripts/install-tools.sh; a missing one fails the tier loudly. */
export function helmBinary(major: HelmMajor): string {
  const dir = process.env.KW_TOOLS_DIR ?? path.join(homedir(), '.cache', 'kafka-warden', 'tools');
  const binary = path.join(dir, 'bin', `helm${major}`);
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} not found: run scripts/install-tools.sh helm${major} (scripts/test-all.sh does)`,
    );
  }
  return binary;
}

export interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** One Helm with its own data, config, cache and plugin folders: nothing leaks between the two majors. */
export class IsolatedHelm {
  readonly home = mkdtempSync(path.join(tmpdir(), 'kw-helm-'));
  readonly binary: string;

  constructor(readonly major: HelmMajor) {
    this.binary = helmBinary(major);
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HELM_DATA_HOME: path.join(this.home, 'data'),
      HELM_PLUGINS: path.join(this.home, 'data', 'plugins'),
      HELM_CONFIG_HOME: path.join(this.home, 'config'),
      HELM_CACHE_HOME: path.join(this.home, 'cache'),
      // No cluster in this tier: a kubeconfig that points nowhere keeps helm from finding one.
      KUBECONFIG: path.join(this.home, 'no-kubeconfig'),
    };
  }

  /**
   * Runs helm. `viaShellPipe` gives helm a real pipe as stderr (merged into stdout), as a CI log would
   * (Node's own stdio pipes are sockets, which /proc/<pid>/fd/2 cannot be opened on).
   */
  run(args: string[], extraEnv: NodeJS.ProcessEnv = {}, viaShellPipe = false): HelmRun {
    const [command, argv] = viaShellPipe
      ? ['bash', ['-c', 'set -o pipefail; "$0" "$@" 2>&1 | cat', this.binary, ...args]]
      : [this.binary, args];
    const result = spawnSync(command, argv, {
      encoding: 'utf8',
      env: { ...this.env, ...extraEnv },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }
}
