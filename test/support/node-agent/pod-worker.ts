/**
 * One pod on the agent's node, from bound to gone. The agent calls `sync(pod)` on every tick with
 * the pod as the API server has it; the worker:
 *
 *   1. prepares: the namespace's Secrets and ConfigMaps, the volumes (pod-volumes.ts); retried
 *      every few seconds while something is missing (ContainerCreating), as the kubelet retries;
 *   2. runs the init containers in order, each to completion, as its user;
 *   3. starts every container (programs.ts) as its user, restarting one that exits with the
 *      kubelet's back-off (10 s, doubling to 5 min; reset after 10 min running);
 *   4. probes readiness (`periodSeconds`, `failureThreshold`, `successThreshold`,
 *      `initialDelaySeconds`; no probe: ready once running) and writes the status when it changes;
 *   5. on deletion: SIGTERM to every container, SIGKILL after the grace period, then deletes the
 *      pod object with grace 0.
 *
 * Everything it does is appended to the agent's event list (the tests assert on it).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Container, KubeObject, PodSpec, Probe } from '../../../src/core/k8s-types';
import { resolveContainerEnv } from '../../e2e/kafka/harness/pod-env';
import { startProcess, type ManagedProcess } from '../../e2e/kafka/harness/processes';
import { mountVolumes } from '../../e2e/kafka/harness/volumes';
import { toApiAddress } from './addresses';
import { list, patchPodStatus, write, type Api, type Obj } from './kube';
import { materialiseVolumes } from './pod-volumes';
import { podStatus, type Condition, type ContainerState } from './pod-status';
import { probeOnce } from './probes';
import { programFor, type Program } from './programs';
import { asIdentity, identityOf, type Identity } from './run-as';

export interface AgentEvent {
  at: number;
  pod: string;
  uid: string;
  container?: string;
  what: string;
  detail?: string;
}

export interface WorkerContext {
  api: Api;
  nodeName: string;
  hostIP: string;
  podIP: string;
  podDir: string;
  logDir: string;
  claimsDir: string;
  hostsFile: string;
  log4jConfig: string;
  record(event: Omit<AgentEvent, 'at' | 'pod' | 'uid'>): void;
  /** Every process started, for the watchdog (killed if the test process dies). */
  track(process: ManagedProcess): void;
}

const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
const BACKOFF_RESET_MS = 600_000;
const PREPARE_RETRY_MS = 3_000;
const INIT_TIMEOUT_MS = 120_000;

interface Run {
  container: Container;
  identity: Identity | null;
  process: ManagedProcess | null;
  program: Program | null;
  state: ContainerState;
  backoffMs: number;
  nextStartAt: number;
  probeAt: number;
  successes: number;
  failures: number;
  probing: boolean;
}

type Pod = Obj<PodSpec> & { status?: { conditions?: Condition[] } };

export class PodWorker {
  private pod: Pod;
  private objects: KubeObject[] = [];
  private phase: 'preparing' | 'initializing' | 'running' | 'terminating' | 'gone' = 'preparing';
  private nextPrepareAt = 0;
  private busy = false;
  private readonly runs: Run[];
  private readonly startTime = new Date().toISOString();
  private lastWritten = '';
  private terminated: Promise<void> | null = null;

  constructor(
    pod: Pod,
    private readonly ctx: WorkerContext,
  ) {
    this.pod = pod;
    this.runs = (pod.spec?.containers ?? []).map((container) => ({
      container,
      identity: null,
      process: null,
      program: null,
      state: {
        name: container.name,
        image: container.image ?? '',
        running: false,
        ready: false,
        restartCount: 0,
        startedAt: null,
        waitingReason: 'ContainerCreating',
        waitingMessage: null,
        lastExit: null,
      },
      backoffMs: BACKOFF_START_MS,
      nextStartAt: 0,
      probeAt: 0,
      successes: 0,
      failures: 0,
      probing: false,
    }));
  }

  get uid(): string {
    return this.pod.metadata.uid ?? '';
  }

  get name(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  /** The containers' processes (for tests: a crash is a kill of one of these). */
  processes(): Record<string, ManagedProcess | null> {
    return Object.fromEntries(this.runs.map((r) => [r.container.name, r.process]));
  }

  /** One step; never throws (a failure is recorded and retried on a later tick). */
  async sync(pod: Pod): Promise<void> {
    this.pod = pod;
    if (this.busy || this.phase === 'terminating' || this.phase === 'gone') return;
    this.busy = true;
    try {
      if (this.phase === 'preparing' && Date.now() >= this.nextPrepareAt) await this.prepare();
      if (this.phase === 'initializing') await this.runInitContainers();
      if (this.phase === 'running') {
        this.startDue();
        this.probeDue();
      }
      await this.writeStatus();
    } catch (error) {
      this.ctx.record({ what: 'error', detail: (error as Error).message });
    } finally {
      this.busy = false;
    }
  }

  private async prepare(): Promise<void> {
    const ns = this.pod.metadata.namespace ?? 'default';
    try {
      this.objects = [
        ...(await list(this.ctx.api, `/api/v1/namespaces/${ns}/secrets`)).map((o) => ({
          ...o,
          kind: 'Secret',
        })),
        ...(await list(this.ctx.api, `/api/v1/namespaces/${ns}/configmaps`)).map((o) => ({
          ...o,
          kind: 'ConfigMap',
        })),
      ];
      mkdirSync(this.ctx.podDir, { recursive: true, mode: 0o755 });
      materialiseVolumes({
        pod: this.pod,
        podDir: this.ctx.podDir,
        claimsDir: this.ctx.claimsDir,
        objects: this.objects,
      });
      this.phase = 'initializing';
      this.ctx.record({ what: 'volumes ready' });
    } catch (error) {
      this.nextPrepareAt = Date.now() + PREPARE_RETRY_MS;
      for (const run of this.runs) {
        run.state.waitingReason = 'ContainerCreating';
        run.state.waitingMessage = (error as Error).message;
      }
      this.ctx.record({ what: 'volumes not ready', detail: (error as Error).message });
    }
  }

  private async runInitContainers(): Promise<void> {
    for (const container of this.pod.spec?.initContainers ?? []) {
      const identity = identityOf(this.pod.spec as PodSpec, container);
      const context = this.context(container);
      const mounts = mountVolumes(context);
      const env = resolveContainerEnv(context);
      const [command, ...args] = [...(container.command ?? []), ...(container.args ?? [])].map(
        (arg) => mounts.rewrite(arg),
      );
      if (!command) throw new Error(`init container ${container.name}: no command`);
      const run = asIdentity(identity, command, args);
      const code = await runToEnd(
        this.ctx,
        run.command,
        run.args,
        {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          ...env,
          HOSTNAME: this.pod.metadata.name,
        },
        path.join(this.ctx.logDir, `${container.name}.log`),
      );
      this.ctx.record({
        container: container.name,
        what: 'init exited',
        detail: `code ${code} as ${identity.uid}:${identity.gid}`,
      });
      if (code !== 0) {
        // restartPolicy Always: the kubelet retries the init container with back-off.
        this.phase = 'preparing';
        this.nextPrepareAt = Date.now() + BACKOFF_START_MS;
        throw new Error(`init container ${container.name} exited ${code}`);
      }
    }
    this.phase = 'running';
  }

  private context(container: Container) {
    return {
      pod: this.pod,
      container,
      podDir: this.ctx.podDir,
      objects: this.objects,
      status: { podIP: this.ctx.podIP, hostIP: this.ctx.hostIP, nodeName: this.ctx.nodeName },
      hostsFile: this.ctx.hostsFile,
      log4jConfig: this.ctx.log4jConfig,
    };
  }

  private startDue(): void {
    const now = Date.now();
    for (const run of this.runs) {
      if (run.process || now < run.nextStartAt) continue;
      try {
        run.identity = identityOf(this.pod.spec as PodSpec, run.container);
        run.program = programFor(this.context(run.container));
      } catch (error) {
        run.state.waitingReason = 'CreateContainerConfigError';
        run.state.waitingMessage = (error as Error).message;
        run.nextStartAt = now + PREPARE_RETRY_MS;
        this.ctx.record({
          container: run.container.name,
          what: 'config error',
          detail: (error as Error).message,
        });
        continue;
      }
      const command = asIdentity(run.identity, run.program.command, run.program.args);
      const child = startProcess({
        name: `${this.name}/${run.container.name}`,
        command: command.command,
        args: command.args,
        env: { ...run.program.env, HOSTNAME: this.pod.metadata.name },
        logFile: path.join(this.ctx.logDir, `${run.container.name}.log`),
        cwd: this.ctx.podDir,
      });
      run.process = child;
      this.ctx.track(child);
      const startedAt = Date.now();
      run.state = {
        ...run.state,
        running: true,
        ready: false,
        startedAt: new Date(startedAt).toISOString(),
        waitingReason: null,
        waitingMessage: null,
      };
      run.probeAt = startedAt + (run.container.readinessProbe?.initialDelaySeconds ?? 0) * 1000;
      run.successes = 0;
      run.failures = 0;
      this.ctx.record({
        container: run.container.name,
        what: 'started',
        detail: `${run.program.kind} pid ${child.pid} as ${run.identity.uid}:${run.identity.gid}${run.identity.groups.length ? ` groups ${run.identity.groups.join(',')}` : ''}`,
      });
      void child.exited.then((exit) => {
        if (run.process !== child) return;
        run.process = null;
        const ranMs = Date.now() - startedAt;
        if (ranMs > BACKOFF_RESET_MS) run.backoffMs = BACKOFF_START_MS;
        run.state = {
          ...run.state,
          running: false,
          ready: false,
          restartCount: run.state.restartCount + (this.phase === 'running' ? 1 : 0),
          waitingReason: 'CrashLoopBackOff',
          waitingMessage: `back-off ${run.backoffMs / 1000}s restarting failed container`,
          lastExit: {
            exitCode: exit.code ?? 128 + 9,
            signal: exit.signal,
            finishedAt: new Date().toISOString(),
          },
        };
        this.ctx.record({
          container: run.container.name,
          what: 'exited',
          detail: `code ${exit.code} signal ${exit.signal}`,
        });
        if (this.phase === 'running') {
          run.nextStartAt = Date.now() + run.backoffMs;
          run.backoffMs = Math.min(run.backoffMs * 2, BACKOFF_MAX_MS);
        }
      });
    }
  }

  private probeDue(): void {
    const now = Date.now();
    for (const run of this.runs) {
      if (!run.process || !run.program || !run.identity || run.probing || now < run.probeAt)
        continue;
      const probe: Probe | undefined = run.container.readinessProbe;
      if (!probe) {
        run.state.ready = true;
        continue;
      }
      run.probing = true;
      run.probeAt = now + (probe.periodSeconds ?? 10) * 1000;
      const child = run.process;
      void probeOnce(probe, {
        address: this.ctx.podIP,
        container: run.container,
        identity: run.identity,
        env: run.program.containerEnv,
      })
        .catch(() => false)
        .then((ok) => {
          run.probing = false;
          if (run.process !== child) return;
          if (ok) {
            run.failures = 0;
            run.successes++;
            if (run.successes >= (probe.successThreshold ?? 1)) run.state.ready = true;
          } else {
            run.successes = 0;
            run.failures++;
            if (run.failures >= (probe.failureThreshold ?? 3)) run.state.ready = false;
          }
        });
    }
  }

  private async writeStatus(): Promise<void> {
    const spec = this.pod.spec as PodSpec & { readinessGates?: { conditionType: string }[] };
    const status = podStatus({
      podIP: toApiAddress(this.ctx.podIP),
      hostIP: toApiAddress(this.ctx.hostIP),
      startTime: this.startTime,
      initialized: this.phase === 'running',
      containers: this.runs.map((r) => r.state),
      readinessGates: (spec.readinessGates ?? []).map((g) => g.conditionType),
      current: this.pod.status?.conditions ?? [],
      now: new Date().toISOString(),
    });
    const text = JSON.stringify(status);
    // Also rewritten when the API server's copy differs (a gate condition changed underneath).
    const ready = (status.conditions as Condition[]).find((c) => c.type === 'Ready')?.status;
    const current = this.pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    if (text === this.lastWritten && ready === current) return;
    await patchPodStatus(
      this.ctx.api,
      this.pod.metadata.namespace ?? 'default',
      this.pod.metadata.name,
      status,
    );
    if (ready !== current) this.ctx.record({ what: `Ready ${ready}` });
    this.lastWritten = text;
  }

  /**
   * SIGTERM to every container, SIGKILL after `graceSeconds`, then the pod object deleted with
   * grace 0 (when `deleteObject`). Idempotent.
   */
  terminate(graceSeconds: number, deleteObject: boolean): Promise<void> {
    this.terminated ??= (async () => {
      this.phase = 'terminating';
      await Promise.all(
        this.runs.map(async (run) => {
          const child = run.process;
          if (!child) return;
          this.ctx.record({
            container: run.container.name,
            what: 'SIGTERM',
            detail: `grace ${graceSeconds}s`,
          });
          const exit = await child.stop(graceSeconds * 1000);
          this.ctx.record({
            container: run.container.name,
            what: exit.signal === 'SIGKILL' ? 'killed after grace' : 'stopped',
            detail: `code ${exit.code} signal ${exit.signal}`,
          });
        }),
      );
      this.phase = 'gone';
      if (deleteObject) {
        const { namespace = 'default', name, uid } = this.pod.metadata;
        await write(
          this.ctx.api,
          'DELETE',
          `/api/v1/namespaces/${namespace}/pods/${name}`,
          {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            gracePeriodSeconds: 0,
            preconditions: { uid },
          },
          { ok: [200, 202, 404, 409] },
        );
        this.ctx.record({ what: 'deleted' });
      }
    })();
    return this.terminated;
  }
}

/** Runs a process to its end (bounded), output appended to `logFile`. */
function runToEnd(
  ctx: Pick<WorkerContext, 'track'>,
  command: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
): Promise<number> {
  const child = startProcess({ name: path.basename(logFile), command, args, env, logFile });
  ctx.track(child);
  const timer = setTimeout(() => void child.stop(0), INIT_TIMEOUT_MS);
  return child.exited.then((exit) => {
    clearTimeout(timer);
    return exit.code ?? 128 + 9;
  });
}
