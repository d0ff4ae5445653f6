import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './paths';

export const CLI = path.join(REPO_ROOT, 'bin', 'kafka-warden');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], input = '', env: NodeJS.ProcessEnv = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The Helm 3 post-renderer executable: a launcher that starts Node from the render snapshot. */
export const POST_RENDERER = path.join(REPO_ROOT, 'bin', 'kafka-warden-post-renderer');

export function runPostRenderer(
  args: string[],
  input = '',
  env: NodeJS.ProcessEnv = {},
  executable = POST_RENDERER,
): CliResult {
  const result = spawnSync(executable, args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
