/**
 * One probe attempt, as the kubelet makes it, against the pod's address: `tcpSocket` (a
 * connection opens), `httpGet` (a status 200–399), `exec` (the command exits 0, run as the
 * container's user with its environment). Every attempt is bounded by `timeoutSeconds` (default 1).
 *
 * An exec probe runs on the host, not in the pod's network namespace: `127.0.0.1` and `localhost`
 * in its command mean the pod itself, so they are rewritten to the pod's address (as the Kafka
 * tier rewrites the exporter's jmxUrl). kafka-warden's ZooKeeper probe (`srvr` over bash's
 * /dev/tcp/127.0.0.1/<port>) depends on it: ZooKeeper binds the pod address only.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Container, Probe } from '../../../src/core/k8s-types';
import { asIdentity, type Identity } from './run-as';

export interface ProbeTarget {
  address: string;
  container: Container;
  identity: Identity;
  env: Record<string, string>;
}

export async function probeOnce(probe: Probe, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.tcpSocket)
    return tcp(target.address, port(probe.tcpSocket.port, target.container), timeoutMs);
  if (probe.httpGet) {
    const url = `http://${target.address}:${port(probe.httpGet.port, target.container)}${probe.httpGet.path ?? '/'}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 400;
    } catch {
      return false;
    }
  }
  if (probe.exec)
    return exec(podLocalCommand(probe.exec.command, target.address), target, timeoutMs);
  throw new Error(`container ${target.container.name}: a probe with no tcpSocket, httpGet or exec`);
}

/** The command with the pod's own loopback names (`127.0.0.1`, `localhost`) at its address. */
export function podLocalCommand(command: string[], address: string): string[] {
  return command.map((arg) =>
    arg.replace(/(?<![\w.])(?:127\.0\.0\.1|localhost)(?![\w.-])/g, address),
  );
}

/** A named port is looked up in the container's ports, as the kubelet does. */
function port(value: number | string, container: Container): number {
  if (typeof value === 'number') return value;
  const found = (container.ports ?? []).find((p) => p.name === value);
  if (!found) throw new Error(`container ${container.name}: no port named ${value}`);
  return found.containerPort;
}

function tcp(host: string, portNumber: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: portNumber, timeout: timeoutMs }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

function exec(command: string[], target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  const [binary, ...args] = command;
  if (!binary) return Promise.resolve(false);
  const run = asIdentity(target.identity, binary, args);
  return new Promise((resolve) => {
    const child = spawn(run.command, run.args, {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...target.env },
      stdio: 'ignore',
      detached: true,
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }, timeoutMs);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
