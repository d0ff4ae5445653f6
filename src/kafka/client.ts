/**
 * The admin-side Kafka client: the only place that imports kafkajs (as src/kube is the only one
 * importing @kubernetes/client-node). kafkajs speaks protocol versions back to Kafka 0.10, so the
 * same client reads the Kafka 2.7 of cp-helm-charts 0.6.1 and Kafka 3.x.
 *
 * What it reads is plain data (ClusterMetadata, min.insync.replicas per topic), so the probe and
 * the planner never see a kafkajs type. kafkajs' own log goes through `log`, field by field from a
 * short list: never a password or key (kafkajs logs neither, and nothing else passes).
 */
import { isIP, connect as netConnect, type LookupFunction, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import {
  ConfigResourceTypes,
  Kafka,
  logLevel,
  type Admin,
  type ISocketFactory,
  type LogEntry,
} from 'kafkajs';
import metadataV0 from 'kafkajs/src/protocol/requests/metadata/v0/response';
import metadataV1 from 'kafkajs/src/protocol/requests/metadata/v1/response';
import metadataV2 from 'kafkajs/src/protocol/requests/metadata/v2/response';
import metadataV3 from 'kafkajs/src/protocol/requests/metadata/v3/response';
import metadataV4 from 'kafkajs/src/protocol/requests/metadata/v4/response';
import metadataV5 from 'kafkajs/src/protocol/requests/metadata/v5/response';
import metadataV6 from 'kafkajs/src/protocol/requests/metadata/v6/response';
import { WardenError } from '../core/errors';

export interface PartitionInfo {
  topic: string;
  partition: number;
  /** -1 when the partition has no leader (offline). */
  leader: number;
  replicas: number[];
  isr: number[];
  /** Replicas on brokers that are down (metadata v5+; empty from older brokers). */
  offlineReplicas: number[];
}

export interface ClusterMetadata {
  /** Broker ids the cluster lists as alive. */
  brokers: number[];
  /** Every partition of every topic (internal topics included), sorted by topic and partition. */
  partitions: PartitionInfo[];
}

/** What kafka-warden asks Kafka; implemented over kafkajs by `connectKafka`. */
export interface KafkaAdmin {
  metadata(): Promise<ClusterMetadata>;
  /** The effective min.insync.replicas per topic (the topic's own or the broker default). */
  minInsyncReplicas(topics: readonly string[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';
export type KafkaLog = (
  level: KafkaLogLevel,
  message: string,
  fields: Record<string, string | number>,
) => void;

export interface KafkaClientOptions {
  /** `host:port` addresses to bootstrap from. */
  brokers: readonly string[];
  /** TLS options (src/kafka/tls.ts); absent: PLAINTEXT. */
  tls?: ConnectionOptions;
  /** SASL/PLAIN credentials, sent only over TLS. */
  sasl?: { username: string; password: string };
  /** Resolves broker host names, TLS or not; tests map pod DNS names to 127.0.0.x. */
  lookup?: LookupFunction;
  clientId?: string;
  /** Per TCP/TLS connection attempt (kafkajs connectionTimeout). Default 3000. */
  connectionTimeoutMs?: number;
  /** Per request (kafkajs requestTimeout). Default 10000. */
  requestTimeoutMs?: number;
  /** kafkajs' retries of a failed request. Default 2. */
  retries?: number;
  log?: KafkaLog;
}

export async function connectKafka(options: KafkaClientOptions): Promise<KafkaAdmin> {
  if (options.sasl && !options.tls) {
    throw new WardenError(
      'KW_USAGE',
      'SASL credentials are sent over TLS only: give the TLS material too',
    );
  }
  const kafka = new Kafka({
    clientId: options.clientId ?? 'kafka-warden',
    brokers: [...options.brokers],
    ...(options.tls ? { ssl: options.tls } : {}),
    ...(options.sasl
      ? {
          sasl: {
            mechanism: 'plain' as const,
            username: options.sasl.username,
            password: options.sasl.password,
          },
        }
      : {}),
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: options.retries ?? 2, initialRetryTime: 100, maxRetryTime: 1000 },
    socketFactory: socketFactory(options.lookup),
    logLevel: options.log ? logLevel.INFO : logLevel.NOTHING,
    logCreator: () => (entry) => options.log?.(...logLine(entry)),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw new WardenError(
      'KW_KAFKA_CONNECT',
      `cannot reach Kafka at ${options.brokers.join(',')}: ${kafkaErrorText(error)}`,
    );
  }
  return new KafkajsAdmin(admin, options.brokers.join(','));
}

/** Exported for unit tests; everything else gets it from connectKafka. */
export class KafkajsAdmin implements KafkaAdmin {
  constructor(
    private readonly admin: Admin,
    private readonly address: string,
  ) {}

  async metadata(): Promise<ClusterMetadata> {
    // Two Metadata requests: kafkajs' admin returns either the brokers or the topics, not both.
    // One after the other, never together: sent back to back on one connection, the second now
    // and then waited for the broker's next network poll (its timeout is 300 ms), stalls that
    // showed in the p99 of POST /validate, while in sequence none did (bench/README.md, History,
    // "The probe's two Metadata requests in sequence").
    const { topics, cluster } = await this.request('reading the cluster metadata', async () => {
      try {
        const topics = await this.admin.fetchTopicMetadata();
        const cluster = await this.admin.describeCluster();
        return { topics, cluster };
      } catch (error) {
        const decoded = leaderlessMetadata(error);
        if (!decoded) throw error;
        return {
          topics: {
            topics: decoded.topicMetadata.map((t) => ({
              name: t.topic,
              partitions: t.partitionMetadata,
            })),
          },
          cluster: { brokers: decoded.brokers },
        };
      }
    });
    const partitions: PartitionInfo[] = topics.topics.flatMap((topic) =>
      topic.partitions.map((p) => ({
        topic: topic.name,
        partition: p.partitionId,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        offlineReplicas: p.offlineReplicas ?? [],
      })),
    );
    partitions.sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
    return { brokers: cluster.brokers.map((b) => b.nodeId).sort((a, b) => a - b), partitions };
  }

  async minInsyncReplicas(topics: readonly string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    if (topics.length === 0) return result;
    const response = await this.request('reading min.insync.replicas of the topics', () =>
      this.admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['min.insync.replicas'],
        })),
      }),
    );
    for (const resource of response.resources) {
      // A topic deleted since the metadata was read: nothing to judge.
      if (resource.errorCode === UNKNOWN_TOPIC_OR_PARTITION) continue;
      if (resource.errorCode !== 0) {
        throw new WardenError(
          'KW_KAFKA_REQUEST',
          `Kafka at ${this.address} refused to describe the configuration of topic ` +
            `${resource.resourceName}: ${resource.errorMessage || `error code ${resource.errorCode}`}`,
        );
      }
      const entry = resource.configEntries.find((e) => e.configName === 'min.insync.replicas');
      const value = Number(entry?.configValue);
      if (Number.isInteger(value) && value > 0) result.set(resource.resourceName, value);
    }
    return result;
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }

  private async request<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof WardenError) throw error;
      throw new WardenError(
        isConnectionError(error) ? 'KW_KAFKA_CONNECT' : 'KW_KAFKA_REQUEST',
        `${what} from Kafka at ${this.address} failed: ${kafkaErrorText(error)}`,
      );
    }
  }
}

const UNKNOWN_TOPIC_OR_PARTITION = 3;
const LEADER_NOT_AVAILABLE = 5;

/** A Metadata response as kafkajs decodes it (v0–v6; `offlineReplicas` from v5). */
interface DecodedMetadata {
  brokers: { nodeId: number }[];
  topicMetadata: {
    topicErrorCode: number;
    topic: string;
    partitionMetadata: {
      partitionErrorCode: number;
      partitionId: number;
      leader: number;
      replicas: number[];
      isr: number[];
      offlineReplicas?: number[];
    }[];
  }[];
}

const DECODED = Symbol('kafka-warden: the decoded Metadata response');
let decodedKept = false;

/**
 * kafkajs rejects a whole Metadata response when any partition carries an error code, and Kafka
 * answers LEADER_NOT_AVAILABLE for every partition without a leader. One offline partition then
 * made the whole cluster unreadable, exactly when the roll gate has to judge the other brokers
 * without it (docs/design.md, "The roll gate"; found by test/e2e/kafka/roll-gate-sync.test.ts).
 * kafkajs keeps throwing as before (its own clients retry on that error and must go on doing so);
 * the error now also carries the decoded response, which `leaderlessMetadata` takes back. Once per
 * process, when this module loads: the response modules are shared by every kafkajs client in it.
 */
function keepDecodedMetadataOnErrors(): void {
  if (decodedKept) return;
  decodedKept = true;
  const modules = [
    metadataV0,
    metadataV1,
    metadataV2,
    metadataV3,
    metadataV4,
    metadataV5,
    metadataV6,
  ];
  for (const response of modules) {
    const parse = response.parse;
    response.parse = async (data: unknown) => {
      try {
        return await parse(data);
      } catch (error) {
        if (error instanceof Error) Object.defineProperty(error, DECODED, { value: data });
        throw error;
      }
    };
  }
}

keepDecodedMetadataOnErrors();

/**
 * The response kafkajs refused, when its only errors are partitions without a leader: those are
 * data (leader -1), not a failure. Any other error code stays a failure.
 */
export function leaderlessMetadata(error: unknown): DecodedMetadata | undefined {
  for (let e: unknown = error; e instanceof Error; e = causeOf(e)) {
    const decoded = (e as Error & { [DECODED]?: DecodedMetadata })[DECODED];
    if (!decoded) continue;
    const clean =
      decoded.topicMetadata.every((t) => t.topicErrorCode === 0) &&
      decoded.topicMetadata.every((t) =>
        t.partitionMetadata.every(
          (p) =>
            p.partitionErrorCode === 0 ||
            (p.partitionErrorCode === LEADER_NOT_AVAILABLE && p.leader < 0),
        ),
      );
    return clean ? decoded : undefined;
  }
  return undefined;
}

/** Like kafkajs' own factory, plus the injected lookup for plain TCP too. */
function socketFactory(lookup: LookupFunction | undefined): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket: Socket = ssl
      ? tlsConnect(
          {
            host,
            port,
            ...(isIP(host) ? {} : { servername: host }),
            ...ssl,
            ...(lookup ? { lookup } : {}),
          },
          onConnect,
        )
      : netConnect({ host, port, ...(lookup ? { lookup } : {}) }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

const LOG_FIELDS = ['broker', 'error', 'retryCount', 'retryTime', 'groupId'] as const;

function logLine(entry: LogEntry): [KafkaLogLevel, string, Record<string, string | number>] {
  const fields: Record<string, string | number> = { kafkajs: entry.namespace };
  for (const key of LOG_FIELDS) {
    const value: unknown = entry.log[key];
    if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  }
  const level: KafkaLogLevel =
    entry.level === logLevel.ERROR
      ? 'error'
      : entry.level === logLevel.WARN
        ? 'warn'
        : entry.level === logLevel.INFO
          ? 'info'
          : 'debug';
  return [level, entry.log.message, fields];
}

function isConnectionError(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = causeOf(e)) {
    if (/Connection|NumberOfRetriesExceeded|SASL|RequestTimeout/i.test(e.name)) return true;
  }
  return false;
}

/** kafkajs wraps the error that matters (a TLS or DNS failure) in retries: say the innermost. */
export function kafkaErrorText(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error; e !== undefined; e = causeOf(e)) {
    const text = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
    if (text && !messages.includes(text)) messages.push(text);
    if (!(e instanceof Error)) break;
  }
  return messages.join(': ') || 'unknown error';
}

function causeOf(error: unknown): unknown {
  if (!(error instanceof Error)) return undefined;
  // kafkajs keeps the wrapped error in `originalError`; Node and newer code in `cause`.
  const withCause = error as Error & { originalError?: unknown; cause?: unknown };
  return withCause.originalError ?? withCause.cause;
}
