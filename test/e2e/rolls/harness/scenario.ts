/**
 * A roll measured under load: a release installed under the node agent, a topic with RF 3 and
 * `min.insync.replicas` 2, the load (load.ts) and the ISR sampler (isr-monitor.ts) running, then
 * the trigger (a `helm upgrade`), the roll to completion, and the audit of the whole topic.
 * Every wait is bounded; `stop()` ends the load, the release and the cluster however it went.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  installRelease,
  BROKER_STS,
  type Release,
  type ReleaseOptions,
} from '../../../support/node-agent/cp-release';
import { startAgentCluster, type AgentCluster } from '../../../support/node-agent/cluster';
import { eventually } from '../../../support/control-plane';
import { createNamespace, putCaSecret } from '../../../support/cluster-kube';
import { withAdmin } from '../../kafka/harness/client-ops';
import { IsrMonitor } from './isr-monitor';
import { Load } from './load';
import { brokerUids, rolledOut, terminated } from './roll';
import { startRollGate } from './roll-gate';
import type { ClusterServe } from '../../../support/cluster-serve';
import type { PartialConfig } from '../../../../src/core/config';

export const TOPIC = 'rolls';

/** The chart's values for every roll: one ZooKeeper, no exporter sidecars (four fewer JVMs on a
 * 2-core runner; no roll needs them). */
export const CHART_VALUES = [
  'cp-zookeeper.servers=1',
  'cp-kafka.prometheus.jmx.enabled=false',
  'cp-zookeeper.prometheus.jmx.enabled=false',
];
/** kafka-warden's configuration for the rolls: the defaults, without the exporter it would add. */
export const WARDEN = { metrics: { enabled: false } };
export const MIN_ISR = 2;

export interface RollResult {
  scenario: string;
  chart: 'kafka-warden' | 'stock';
  /** Whether kafka-warden's roll gate judged the roll's brokers (Ready = caught up). */
  gated: boolean;
  rollSeconds: number;
  sent: number;
  failedSends: number;
  lost: number;
  duplicated: number;
  belowMinIsrSeconds: number;
  underReplicatedSeconds: number;
  unknownSeconds: number;
  minIsrSeen: number;
  /** From the roll's end to every partition in sync again. */
  fullIsrAfterSeconds: number;
  maxConsumerGapSeconds: number;
  brokersTerminated: number;
  errors: Record<string, number>;
}

/** Where each run appends its results (one JSON line per roll), printed at the end too. */
export const RESULTS_FILE =
  process.env.KW_ROLLS_RESULTS ?? path.join(tmpdir(), 'kafka-warden-rolls.jsonl');

/** kafka-warden's configuration with the roll gate on (docs/design.md, "The roll gate"). */
export function withRollGate(config: PartialConfig): PartialConfig {
  return { ...config, rollGate: { enabled: true } };
}

const gateOn = (config: PartialConfig | null | undefined): boolean =>
  config?.rollGate?.enabled === true;

/** The issuer's CA Secret: in a namespace of its own, as the chart keeps it in its release's. */
export const ISSUER_CA = { namespace: 'kafka-warden-system', name: 'kafka-warden-ca' };

export interface ScenarioOptions extends ReleaseOptions {
  /**
   * Also run kafka-warden's Secret issuer (`serve --issue-secrets`) in the roll gate's serve, as
   * the chart runs both in one process. Its CA Secret holds the CA the release's Secrets were
   * issued with, so what it renews is trusted by every broker and client already. Needs the gate.
   */
  issuer?: boolean;
}

/**
 * The chart's issuer flags for this release (charts/kafka-warden, `secretIssuer` with
 * `kafkaNamespaces: [<ns>]`, interval at its default), after storing the CA Secret they name.
 * `--config` as the chart passes it: the issuer takes the Secrets' names from it.
 */
async function issuerFlags(
  cluster: AgentCluster,
  release: Release,
  warden: PartialConfig,
  dir: string,
): Promise<string[]> {
  const ca = release.material?.ca;
  if (!ca) throw new Error('the issuer renews what kafka-warden issued: render with it first');
  await createNamespace(cluster.cp, ISSUER_CA.namespace);
  await putCaSecret(cluster.cp, ISSUER_CA.namespace, ISSUER_CA.name, ca);
  const config = path.join(dir, 'serve-config.yaml');
  // JSON is YAML.
  writeFileSync(config, JSON.stringify(warden));
  return [
    '--config',
    config,
    '--issue-secrets',
    '--ca-secret',
    `${ISSUER_CA.namespace}/${ISSUER_CA.name}`,
    '--issuer-clusters',
    `${release.namespace}/${BROKER_STS}`,
    '--issuer-namespaces',
    release.namespace,
    '--issuer-interval',
    '10',
  ];
}

export class RollScenario {
  /** `serve --roll-gate`, once a configuration with the gate has rendered the brokers. */
  private gate: ClusterServe | null = null;
  /** serve's configuration file when the issuer runs (removed at `stop`). */
  private serveDir: string | null = null;

  private constructor(
    readonly cluster: AgentCluster,
    readonly release: Release,
    readonly load: Load,
    readonly monitor: IsrMonitor,
    /** How many broker names the TLS Secrets (and the gate's resolves) cover. */
    readonly brokerNames: number,
  ) {}

  static async start(options: ScenarioOptions): Promise<RollScenario> {
    if (options.issuer && !gateOn(options.warden))
      throw new Error("the issuer runs in the roll gate's serve: turn the gate on");
    const cluster = await startAgentCluster();
    let release: Release | null = null;
    let gate: ClusterServe | null = null;
    const serveDir = options.issuer ? mkdtempSync(path.join(tmpdir(), 'kw-rolls-serve-')) : null;
    try {
      release = await installRelease(cluster, options);
      // As the chart runs them together: gated brokers are never Ready without the controller.
      if (gateOn(options.warden)) {
        const more =
          serveDir && options.warden
            ? await issuerFlags(cluster, release, options.warden, serveDir)
            : [];
        gate = await startRollGate(cluster, release, options.tlsReplicas ?? 3, more);
      }
      await release.podsReady('cp-zookeeper', 1, 300_000);
      await release.podsReady('cp-kafka', 3, 900_000).catch((error: Error) => {
        throw withGateLogs(error, gate);
      });
      const kafka = release.kafka({ clientId: 'rolls' });
      // Ready is not serving: the stock chart's pods have no probe, Ready when the JVM starts.
      await eventually(
        'three brokers registered',
        () =>
          withAdmin(kafka, (admin) => admin.describeCluster(), { retries: 0 }).then(
            (c) => (c.brokers.length === 3 ? true : undefined),
            () => undefined,
          ),
        300_000,
        2_000,
      );
      await withAdmin(kafka, (admin) =>
        admin.createTopics({
          topics: [
            {
              topic: TOPIC,
              numPartitions: 3,
              replicationFactor: 3,
              configEntries: [{ name: 'min.insync.replicas', value: String(MIN_ISR) }],
            },
          ],
          waitForLeaders: true,
        }),
      );
      const monitor = new IsrMonitor(kafka, TOPIC, MIN_ISR);
      await monitor.start();
      await monitor.fullIsr(120_000);
      const load = new Load(kafka, TOPIC);
      await load.start();
      const scenario = new RollScenario(cluster, release, load, monitor, options.tlsReplicas ?? 3);
      scenario.gate = gate;
      scenario.serveDir = serveDir;
      return scenario;
    } catch (error) {
      await gate?.stop();
      release?.cleanup();
      await cluster.stop();
      if (serveDir) rmSync(serveDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** serve's log lines (pino JSON), or none when no serve runs: what the issuer reported. */
  serveLogLines(): Record<string, unknown>[] {
    return this.gate?.logLines() ?? [];
  }

  /** True while kafka-warden's roll gate judges this release's brokers. */
  get gated(): boolean {
    return this.gate !== null;
  }

  /** `helm upgrade` to kafka-warden configuration `config`; starts the roll gate's controller
   * with the first configuration that turns the gate on, before the roll needs it. */
  async upgradeWarden(config: PartialConfig, set: string[] = []): Promise<void> {
    if (gateOn(config) && !this.gate) {
      // The Secrets are issued by the first kafka-warden render, which this upgrade may be.
      const run = await this.release.upgrade({ warden: config, set });
      if (run.status !== 0) throw new Error(`helm upgrade: ${run.stdout}${run.stderr}`);
      this.gate = await startRollGate(this.cluster, this.release, this.brokerNames);
      return;
    }
    const run = await this.release.upgrade({ warden: config, set });
    if (run.status !== 0) throw new Error(`helm upgrade: ${run.stdout}${run.stderr}`);
  }

  /** Runs `trigger`, waits for the roll, returns its numbers (the audit comes at `finish`). */
  async roll(
    scenario: string,
    trigger: () => Promise<void>,
    timeoutMs = 1_200_000,
  ): Promise<Omit<RollResult, 'lost' | 'duplicated'>> {
    const { cp, agent } = this.cluster;
    const ns = this.release.namespace;
    // Steady load first: the roll's numbers are the roll's.
    await new Promise((r) => setTimeout(r, 10_000));
    const before = await brokerUids(cp, ns);
    const start = this.load.counts();
    this.monitor.reset();
    this.load.resetConsumerGap();
    const t0 = Date.now();
    await trigger();
    await rolledOut(cp, ns, BROKER_STS, timeoutMs).catch((error: Error) => {
      throw withGateLogs(
        new Error(
          `${error.message}; the node agent's latest failures:\n${agent.recentErrors().join('\n')}`,
        ),
        this.gate,
      );
    });
    const rollMs = Date.now() - t0;
    const fullIsrMs = await this.monitor.fullIsr(300_000);
    const isr = this.monitor.snapshot();
    const end = this.load.counts();
    const after = await brokerUids(cp, ns);
    const errors: Record<string, number> = {};
    for (const [kind, count] of Object.entries(end.errors)) {
      const delta = count - (start.errors[kind] ?? 0);
      if (delta > 0) errors[kind] = delta;
    }
    return {
      scenario,
      // What rendered the roll's new pods: a stock release switched to kafka-warden counts as it.
      chart: this.release.byWarden ? 'kafka-warden' : 'stock',
      gated: this.gated,
      rollSeconds: Math.round(rollMs / 1000),
      sent: end.sent - start.sent,
      failedSends: end.failed - start.failed,
      belowMinIsrSeconds: isr.belowMinIsr,
      underReplicatedSeconds: isr.underReplicated,
      unknownSeconds: isr.unknown,
      minIsrSeen: isr.minIsrSeen,
      fullIsrAfterSeconds: Math.round(fullIsrMs / 1000),
      maxConsumerGapSeconds: Math.round(end.maxConsumerGapMs / 1000),
      brokersTerminated: terminated(agent, before).filter(
        (uid) => ![...after.values()].includes(uid),
      ).length,
      errors,
    };
  }

  /** Stops the load, audits the topic, records and returns the complete results. */
  async finish(rolls: Omit<RollResult, 'lost' | 'duplicated'>[]): Promise<RollResult[]> {
    await new Promise((r) => setTimeout(r, 5_000));
    await this.load.stop();
    const audit = await this.load.audit();
    // The audit covers the whole run: its losses are attributed to every roll of it.
    const results = rolls.map((r) => ({ ...r, lost: audit.lost, duplicated: audit.duplicated }));
    for (const result of results) appendFileSync(RESULTS_FILE, `${JSON.stringify(result)}\n`);
    console.log(`rolls (${RESULTS_FILE}):\n${results.map(formatRow).join('\n')}`);
    return results;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.load.stop(), this.monitor.stop()]);
    await this.gate?.stop();
    this.release.cleanup();
    await this.cluster.stop();
    if (this.serveDir) rmSync(this.serveDir, { recursive: true, force: true });
  }
}

/** The gate's last log lines on a timeout: why a broker stayed not Ready is usually there. */
function withGateLogs(error: Error, gate: ClusterServe | null): Error {
  if (!gate) return error;
  const tail = gate.logs().trim().split('\n').slice(-15).join('\n');
  return new Error(`${error.message}\nserve --roll-gate, last lines:\n${tail}`);
}

export function formatRow(r: RollResult): string {
  return `| ${r.scenario} | ${r.chart}${r.gated ? ' + roll gate' : ''} | ${r.rollSeconds} | ${r.sent} | ${r.failedSends} | ${r.lost} | ${r.duplicated} | ${r.belowMinIsrSeconds} | ${r.underReplicatedSeconds} | ${r.unknownSeconds} | ${r.fullIsrAfterSeconds} |`;
}
