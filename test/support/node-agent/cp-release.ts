/**
 * A cp-helm-charts 0.6.1 release installed with real Helm 3 into the agent's cluster, its brokers
 * and ZooKeeper run by the node agent: with kafka-warden (`--post-renderer`, a configuration file,
 * the broker and client TLS Secrets issued first by kafka-warden's src/tls) or stock (only the
 * ZooKeeper budget moved to policy/v1, without which the chart cannot install on Kubernetes ≥1.25).
 * `upgrade()` is `helm upgrade --reuse-values` with the same post-renderer: how a user rolls.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { resolveConfig, type PartialConfig } from '../../../src/core/config';
import { issueClusterMaterial, type ClusterMaterial } from '../../e2e/kafka/harness/tls-material';
import {
  ClusterHelm,
  chartPackage,
  kafkaZkOnlyValues,
  pdbApiVersionPostRenderer,
} from '../cluster-helm';
import { apiRequest, eventually } from '../control-plane';
import type { HelmRun } from '../helm';
import { createNamespace } from '../cluster-kube';
import type { AgentCluster } from './cluster';
import { agentKafka } from './kafka-client';
import { list } from './kube';

export const RELEASE = 'my-cp';
export const BROKER_STS = `${RELEASE}-cp-kafka`;
export const BROKER_HEADLESS = `${BROKER_STS}-headless`;

export interface ReleaseOptions {
  namespace: string;
  /** kafka-warden's configuration (post-renderer), or null for the stock chart. */
  warden: PartialConfig | null;
  /** `--set` values on top of the kafka-and-ZooKeeper-only value set. */
  set?: string[];
  /** The chart's every component (Schema Registry, Connect, REST Proxy, ksqlDB, Control Center);
   * default: Kafka and ZooKeeper only. */
  allComponents?: boolean;
  /** Broker names in the TLS Secrets (the scale-up tests need one more). Default 3. */
  tlsReplicas?: number;
}

export interface Release {
  namespace: string;
  /** The TLS material issued (null until kafka-warden renders the release). */
  readonly material: ClusterMaterial | null;
  /** True once the release is rendered by kafka-warden (installed so, or switched on upgrade). */
  readonly byWarden: boolean;
  /** `my-cp-cp-kafka-N.my-cp-cp-kafka-headless.<ns>:port` for N in 0…count-1. */
  bootstrap(port: number, count?: number): string[];
  kafka(options?: { tls?: boolean; clientId?: string }): Kafka;
  /** `helm upgrade --reuse-values`: new `--set` values, and/or kafka-warden's configuration
   * (a stock release switches to the post-renderer). */
  upgrade(change: { set?: string[]; warden?: PartialConfig }): Promise<HelmRun>;
  podsReady(app: 'cp-kafka' | 'cp-zookeeper', count: number, timeoutMs: number): Promise<void>;
  cleanup(): void;
}

export async function installRelease(
  cluster: AgentCluster,
  options: ReleaseOptions,
): Promise<Release> {
  const { cp, agent } = cluster;
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-release-'));
  const helm = new ClusterHelm(3, cp);
  const stockRenderer = options.warden === null ? pdbApiVersionPostRenderer() : null;
  const cleanup = () => {
    helm.cleanup();
    stockRenderer?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await createNamespace(cp, options.namespace);
    let material: ClusterMaterial | null = null;
    let configs = 0;
    /** The post-renderer for kafka-warden `config`: the Secrets issued first (once). */
    const wardenRenderer = async (config: PartialConfig): Promise<string[]> => {
      if (!material) {
        material = await issueClusterMaterial({
          cluster: BROKER_STS,
          headlessService: BROKER_HEADLESS,
          namespace: options.namespace,
          replicas: options.tlsReplicas ?? 3,
          config: resolveConfig(config),
          dir,
        });
        for (const secret of material.secrets) {
          const res = await apiRequest(
            cp,
            'POST',
            `/api/v1/namespaces/${options.namespace}/secrets`,
            secret,
          );
          if (res.status !== 201) {
            throw new Error(`Secret ${secret.metadata?.name}: HTTP ${res.status}`);
          }
        }
      }
      const configFile = path.join(dir, `warden-${configs++}.yaml`);
      // JSON is YAML.
      writeFileSync(configFile, JSON.stringify(config));
      return [
        ...helm.wardenPostRenderer(),
        '--post-renderer-args',
        '--config',
        '--post-renderer-args',
        configFile,
      ];
    };
    let byWarden = options.warden !== null;
    let renderer =
      options.warden === null
        ? ['--post-renderer', stockRenderer?.path ?? '']
        : await wardenRenderer(options.warden);
    const valueArgs = [
      ...(options.allComponents ? [] : ['-f', kafkaZkOnlyValues()]),
      ...(options.set ?? []).flatMap((s) => ['--set', s]),
    ];
    const installed = await helm.run([
      'install',
      RELEASE,
      chartPackage('0.6.1'),
      '--namespace',
      options.namespace,
      ...valueArgs,
      ...renderer,
    ]);
    if (installed.status !== 0)
      throw new Error(`helm install: ${installed.stdout}${installed.stderr}`);

    const release: Release = {
      namespace: options.namespace,
      get material() {
        return material;
      },
      get byWarden() {
        return byWarden;
      },
      bootstrap(port, count = 3) {
        return Array.from(
          { length: count },
          (_, i) => `${BROKER_STS}-${i}.${BROKER_HEADLESS}.${options.namespace}:${port}`,
        );
      },
      kafka(clientOptions = {}) {
        const tls = clientOptions.tls === true;
        const client = tls ? release.material?.client : undefined;
        if (tls && !client) throw new Error('the stock release has no TLS listener');
        return agentKafka({
          brokers: release.bootstrap(tls ? 9093 : 9092),
          dns: agent.dns,
          material: client ?? null,
          ...(clientOptions.clientId ? { clientId: clientOptions.clientId } : {}),
        });
      },
      async upgrade(change) {
        // A release moving to kafka-warden (or to another configuration of it) renders with it
        // from now on.
        if (change.warden) {
          renderer = await wardenRenderer(change.warden);
          byWarden = true;
        }
        const set = change.set ?? [];
        return helm.run([
          'upgrade',
          RELEASE,
          chartPackage('0.6.1'),
          '--namespace',
          options.namespace,
          '--reuse-values',
          ...set.flatMap((s) => ['--set', s]),
          ...renderer,
        ]);
      },
      async podsReady(app, count, timeoutMs) {
        await eventually(
          `${count} ${app} pods Ready in ${options.namespace}`,
          async () => {
            const pods = await list<{
              status?: { conditions?: { type: string; status: string }[] };
            }>(cp, `/api/v1/namespaces/${options.namespace}/pods?labelSelector=app%3D${app}`);
            const ready = pods.filter((p) =>
              p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
            );
            return ready.length === count ? true : undefined;
          },
          timeoutMs,
          1_000,
        ).catch((error: Error) => {
          throw new Error(
            `${error.message}; the node agent's latest failures:\n${agent.recentErrors().join('\n')}`,
          );
        });
      },
      cleanup,
    };
    return release;
  } catch (error) {
    cleanup();
    throw error;
  }
}
