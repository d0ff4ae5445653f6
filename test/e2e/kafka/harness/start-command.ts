/**
 * The broker container's own start command, run for real: the chart's `sh -exc` script (as
 * kafka-warden rewrote it) computes KAFKA_BROKER_ID and KAFKA_ADVERTISED_LISTENERS from HOSTNAME,
 * POD_NAME, POD_NAMESPACE…, and only a shell knows what it produces. The harness runs it with
 * /bin/sh and the pod's environment, and swaps the image's entrypoint for a stub that prints the
 * final environment: what `/etc/confluent/docker/run` would have been handed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Container } from '../../../../src/core/k8s-types';

/** The Confluent images' entrypoint (its ENTRYPOINT/CMD, and what the chart's script execs). */
export const IMAGE_ENTRYPOINT = '/etc/confluent/docker/run';

export class StartCommandError extends Error {
  override name = 'StartCommandError';
}

export interface StartCommandResult {
  /** The environment the entrypoint receives. */
  env: Record<string, string>;
  /** The shell's `-x` trace: what the pod log would show first. */
  trace: string;
}

const SHELLS = new Set(['sh', '/bin/sh', 'bash', '/bin/bash']);

/**
 * Runs `container.command` + `container.args` with `env` and HOSTNAME (the pod name, as the
 * kubelet sets it). Without a command the image's entrypoint runs directly, with `env` unchanged.
 */
export function runStartCommand(
  container: Container,
  env: Record<string, string>,
  hostname: string,
): StartCommandResult {
  const command = [...(container.command ?? []), ...(container.args ?? [])];
  const podEnv = { ...env, HOSTNAME: hostname };
  if (command.length === 0) return { env: podEnv, trace: '' };
  const [shell, ...shellArgs] = command;
  if (!SHELLS.has(shell ?? '')) {
    throw new StartCommandError(
      `container ${container.name}: the harness runs shell start commands only, not "${shell}"`,
    );
  }
  const scriptIndex = shellArgs.findIndex((arg) => !arg.startsWith('-'));
  const script = shellArgs[scriptIndex];
  if (script === undefined || !script.includes(IMAGE_ENTRYPOINT)) {
    // The broker would never reach the image's configure step: nothing to evaluate.
    throw new StartCommandError(
      `container ${container.name}: the start command never runs ${IMAGE_ENTRYPOINT}:\n${command.join(' ')}`,
    );
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'kw-start-'));
  try {
    // The stub stands where the image's entrypoint stands: the script's text is rewritten to exec
    // it instead of /etc/confluent/docker/run, and it prints the environment NUL-separated, so
    // values with newlines (a multi-line env value) come through intact.
    const stub = path.join(dir, 'docker-run-stub');
    writeFileSync(stub, '#!/bin/sh\nexec env -0\n');
    chmodSync(stub, 0o755);
    const args = [...shellArgs];
    args[scriptIndex] = script.replaceAll(IMAGE_ENTRYPOINT, stub);
    // Always /bin/sh: the images' sh is bash in POSIX mode or dash; the chart's script is POSIX.
    const result = spawnSync('/bin/sh', args, {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...podEnv },
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (result.error) throw result.error;
    if (result.status !== 0) {
      throw new StartCommandError(
        `container ${container.name}: the start command exited ${result.status}:\n${result.stderr}`,
      );
    }
    const finalEnv: Record<string, string> = {};
    for (const entry of result.stdout.split('\0')) {
      const at = entry.indexOf('=');
      if (at > 0) finalEnv[entry.slice(0, at)] = entry.slice(at + 1);
    }
    // Variables the harness's shell adds that the image's environment would not have from the pod.
    for (const name of ['PATH', 'PWD', 'SHLVL', '_', 'OLDPWD']) {
      if (!Object.hasOwn(podEnv, name)) delete finalEnv[name];
    }
    return { env: finalEnv, trace: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
