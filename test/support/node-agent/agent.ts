/**
 * A node agent for the test control plane (test/support/control-plane.ts): what a kubelet (and,
 * for binding, a scheduler) does, for the pods the real StatefulSet and Deployment controllers
 * create, with processes instead of containers. docs/node-agent.md describes it.
 *
 *   const agent = await startNodeAgent(cp);   // registers Node `kw-node-<block>`
 *   …                                         // pods get bound, run, probed, reported Ready
 *   await agent.stop();                       // every process killed, every directory removed
 *
 * The loop, every 500 ms (gather, decide, act):
 *   - gather: every pod, Service and EndpointSlice (three LISTs);
 *   - DNS: the table rebuilt from the EndpointSlices (dns.ts), the hosts file rewritten on change;
 *   - a pod without a node (default scheduler): bound to this node (the Binding subresource);
 *   - a pod on this node with no worker: a worker started (pod-worker.ts);
 *   - a pod with a deletionTimestamp: its worker terminates it (SIGTERM, grace, SIGKILL) and
 *     deletes the object; a worker whose pod is gone from the API (or came back with another uid)
 *     is killed at once;
 *   - every worker's sync: containers (re)started, probes run, status written.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PodSpec } from '../../../src/core/k8s-types';
import { allocateAddresses, toApiAddress, type PodAddresses } from './addresses';
import { ClusterDns, dnsRecords, type EndpointSlice } from './dns';
import { list, write, type Api, type Obj } from './kube';
import { PodWorker, type AgentEvent } from './pod-worker';
import { Watchdog } from './watchdog';

export interface NodeAgent {
  /** The latest failures (config errors, volumes not ready, failed ticks), for a timeout's message. */
  recentErrors(count?: number): string[];
  nodeName: string;
  nodeAddress: string;
  dir: string;
  dns: ClusterDns;
  events: AgentEvent[];
  /** The loopback address pod `namespace/name` has, or will have when it is created: fixed per
   * name, so a process outside the agent's DNS (serve) can be told it before the pod exists. */
  podAddress(namespace: string, name: string): string;
  /** The worker of a pod by namespace/name (the current one). */
  worker(namespace: string, name: string): PodWorker | undefined;
  /** Log file of a container of a pod (the current worker's). */
  logFile(namespace: string, name: string, container: string): string;
  stop(): Promise<void>;
}

const TICK_MS = 500;

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.zookeeper=WARN
`;

type Pod = Obj<
  PodSpec & { nodeName?: string; schedulerName?: string; terminationGracePeriodSeconds?: number }
>;

/** What the agent needs of the machine; a missing piece fails the tier here, loudly. */
function checkMachine(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the node agent runs as root (as a kubelet does): it chowns volumes and starts containers as other users',
    );
  }
  const setpriv = spawnSync('setpriv', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (setpriv.status !== 0) {
    throw new Error(
      'setpriv (util-linux) not found: the node agent starts containers as their users with it',
    );
  }
}

export async function startNodeAgent(
  api: Api,
  options: { keepDir?: boolean } = {},
): Promise<NodeAgent> {
  checkMachine();
  const addresses: PodAddresses = await allocateAddresses();
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-node-'));
  // Non-root containers must reach their volumes under here.
  chmodSync(dir, 0o755);
  for (const sub of ['pods', 'claims', 'logs']) mkdirSync(path.join(dir, sub), { mode: 0o755 });
  const hostsFile = path.join(dir, 'hosts');
  const log4jConfig = path.join(dir, 'log4j.properties');
  writeFileSync(log4jConfig, LOG4J);
  const dns = new ClusterDns(hostsFile);
  const keepDir = options.keepDir === true || process.env.KW_KEEP_NODE_AGENT === '1';
  const watchdog = new Watchdog(dir, keepDir);
  const nodeName = `kw-node-${addresses.block.replaceAll('.', '-')}`;
  const events: AgentEvent[] = [];
  const workers = new Map<string, PodWorker>(); // by uid
  const logDirs = new Map<string, string>(); // uid -> log dir

  await registerNode(api, nodeName, addresses.nodeAddress);

  let stopping = false;
  let loop: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const tick = async (): Promise<void> => {
    const [pods, services, slices] = await Promise.all([
      list<Pod>(api, '/api/v1/pods'),
      list<Obj<{ clusterIP?: string; publishNotReadyAddresses?: boolean }>>(
        api,
        '/api/v1/services',
      ),
      list<EndpointSlice>(api, '/apis/discovery.k8s.io/v1/endpointslices'),
    ]);
    dns.update(dnsRecords(services, slices));
    const seen = new Set<string>();
    for (const pod of pods) {
      const { namespace = 'default', name, uid = '' } = pod.metadata;
      const spec = pod.spec;
      if (!spec) continue;
      if (!spec.nodeName) {
        if (
          !pod.metadata.deletionTimestamp &&
          (spec.schedulerName ?? 'default-scheduler') === 'default-scheduler'
        ) {
          await bind(api, namespace, name, nodeName);
        }
        continue;
      }
      if (spec.nodeName !== nodeName) continue;
      seen.add(uid);
      let worker = workers.get(uid);
      if (!worker && !pod.metadata.deletionTimestamp) {
        const logDir = path.join(dir, 'logs', `${namespace}_${name}_${uid}`);
        mkdirSync(logDir, { recursive: true, mode: 0o755 });
        logDirs.set(uid, logDir);
        worker = new PodWorker(pod, {
          api,
          nodeName,
          hostIP: addresses.nodeAddress,
          podIP: addresses.forPod(namespace, name),
          podDir: path.join(dir, 'pods', uid),
          logDir,
          claimsDir: path.join(dir, 'claims'),
          hostsFile,
          log4jConfig,
          track: (child) => watchdog.track(child),
          record: (event) =>
            events.push({ at: Date.now(), pod: `${namespace}/${name}`, uid, ...event }),
        });
        workers.set(uid, worker);
        events.push({ at: Date.now(), pod: `${namespace}/${name}`, uid, what: 'admitted' });
      }
      if (!worker) {
        // Deleted before it ever ran here: nothing to stop.
        await write(
          api,
          'DELETE',
          `/api/v1/namespaces/${namespace}/pods/${name}`,
          { gracePeriodSeconds: 0, preconditions: { uid } },
          { ok: [200, 202, 404, 409] },
        );
        continue;
      }
      if (pod.metadata.deletionTimestamp) {
        const grace =
          pod.metadata.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
        void worker.terminate(grace, true).then(() => finish(uid));
        continue;
      }
      void worker.sync(pod);
    }
    // Gone from the API (a forced delete, a namespace removed): killed at once.
    for (const [uid, worker] of workers) {
      if (!seen.has(uid)) void worker.terminate(0, false).then(() => finish(uid));
    }
  };

  const finish = (uid: string) => {
    if (!workers.has(uid)) return;
    workers.delete(uid);
    rmSync(path.join(dir, 'pods', uid), { recursive: true, force: true });
  };

  const schedule = () => {
    if (stopping) return;
    timer = setTimeout(() => {
      loop = tick()
        .catch((error: Error) => {
          events.push({
            at: Date.now(),
            pod: '-',
            uid: '-',
            what: 'tick failed',
            detail: error.message,
          });
        })
        .finally(schedule);
    }, TICK_MS);
  };
  schedule();

  return {
    nodeName,
    nodeAddress: addresses.nodeAddress,
    dir,
    dns,
    events,
    recentErrors(count = 10) {
      return events
        .filter((e) => /error|not ready|failed|exited/.test(e.what))
        .slice(-count)
        .map(
          (e) =>
            `${e.pod}${e.container ? `/${e.container}` : ''}: ${e.what}${e.detail ? `: ${e.detail}` : ''}`,
        );
    },
    podAddress(namespace, name) {
      return addresses.forPod(namespace, name);
    },
    worker(namespace, name) {
      return [...workers.values()].find((w) => w.name === `${namespace}/${name}`);
    },
    logFile(namespace, name, container) {
      const worker = [...workers.values()].find((w) => w.name === `${namespace}/${name}`);
      const logDir = worker ? logDirs.get(worker.uid) : undefined;
      if (!logDir) throw new Error(`no pod ${namespace}/${name} on ${nodeName}`);
      return path.join(logDir, `${container}.log`);
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await loop;
      // Teardown is not a roll: a short grace, then SIGKILL.
      await Promise.all([...workers.values()].map((w) => w.terminate(5, false)));
      workers.clear();
      await addresses.release();
      watchdog.stop();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function registerNode(api: Api, name: string, address: string): Promise<void> {
  await write(api, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
    spec: {},
  });
  const now = new Date().toISOString();
  await write(
    api,
    'PATCH',
    `/api/v1/nodes/${name}/status`,
    {
      status: {
        addresses: [
          { type: 'InternalIP', address: toApiAddress(address) },
          { type: 'Hostname', address: name },
        ],
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kafka-warden test node agent',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
        capacity: { cpu: '2', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '2', memory: '8Gi', pods: '110' },
      },
    },
    { contentType: 'application/merge-patch+json' },
  );
}

async function bind(api: Api, namespace: string, name: string, nodeName: string): Promise<void> {
  await write(
    api,
    'POST',
    `/api/v1/namespaces/${namespace}/pods/${name}/binding`,
    {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    },
    // 409: bound meanwhile (by an earlier tick whose answer crossed this LIST).
    { ok: [201, 409] },
  );
}
