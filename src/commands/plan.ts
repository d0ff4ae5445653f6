/**
 * `kafka-warden plan`: reads the current partition assignment from Kafka and prints a
 * `kafka-reassign-partitions` plan for a new broker count (src/policy/plan-reassignment.ts). It is
 * the remedy broker-scaling's denials point to. Nothing is printed on stdout unless the whole plan
 * is ready, so `kafka-warden plan … > plan.json` never leaves half a plan behind.
 */
import { writeFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { WardenError } from '../core/errors';
import type { KafkaAdmin, KafkaCredentialFiles } from '../kafka';
import { staticLookup } from '../kafka/resolve';
import {
  formatPlan,
  planReassignment,
  type CurrentPartition,
  type PlanSummary,
} from '../policy/plan-reassignment';
import { LookupTimeout, withTimeout } from '../async/deadline';
import { parseCommandArgs, wholeNumber } from './parse-args';

export const HELP = `usage: kafka-warden plan --bootstrap-server HOST:PORT --brokers N [options]

Prints (stdout) a kafka-reassign-partitions plan for N brokers, from the cluster's current
assignment: every replica on a broker id ≥ N moves off it (a scale-down to N), and partitions
spread onto brokers that have few or none (a scale-up to N). Replication factors are kept, no
broker appears twice in a partition, replicas per broker and preferred leaders per broker end
within one of each other, and replicas move only as far as that needs. Broker ids are the
StatefulSet's ordinals (cp-helm-charts). Only partitions that change are listed.

Run it with: kafka-reassign-partitions --bootstrap-server … --reassignment-json-file plan.json
--execute (add --throttle on a busy cluster), then --verify until every move is complete.

  --bootstrap-server H:P   a broker address (the TLS listener, port 9093 by default);
                           comma-separated for several
  --brokers N              the broker count after the change
  --tls-dir DIR            a client keystore directory (the files of a kafka-warden client
                           Secret); without it the connection is PLAINTEXT
  --sasl-username U        SASL/PLAIN user (with --tls-dir)
  --sasl-password-file F   the user's password, one line
  --topics a,b             only these topics (default: every topic, internal ones included)
  --rollback-file F        also write the current assignment of the partitions the plan moves
  --timeout MS             deadline for reading the cluster (default 15000)
  --resolve N=A            connect to address A for broker name N (repeatable), like curl's
                           --resolve, where cluster DNS does not reach; TLS still verifies N
`;

export interface PlanDependencies {
  /** Resolves broker host names (tests map pod DNS names to 127.0.0.x). */
  lookup?: LookupFunction;
  /** Replaces the Kafka connection (tests). */
  connect?: (options: PlanConnection) => Promise<KafkaAdmin>;
}

export interface PlanConnection {
  bootstrap: string[];
  credentials: KafkaCredentialFiles;
  timeoutMs: number;
}

export async function run(args: string[], dependencies: PlanDependencies = {}): Promise<number> {
  const { values } = parseCommandArgs(args, {
    'bootstrap-server': { type: 'string' },
    brokers: { type: 'string' },
    'tls-dir': { type: 'string' },
    'sasl-username': { type: 'string' },
    'sasl-password-file': { type: 'string' },
    topics: { type: 'string' },
    'rollback-file': { type: 'string' },
    timeout: { type: 'string' },
    resolve: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values['bootstrap-server']) {
    throw new WardenError('KW_USAGE', '--bootstrap-server is required (a broker, host:port)');
  }
  const bootstrap = values['bootstrap-server']
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);
  const invalid = bootstrap.filter((address) => !/^[^\s:]+:\d{1,5}$/.test(address));
  if (bootstrap.length === 0 || invalid.length > 0) {
    throw new WardenError(
      'KW_USAGE',
      `--bootstrap-server: ${invalid.map((a) => JSON.stringify(a)).join(', ') || 'empty'} is not host:port`,
    );
  }
  if (values.brokers === undefined) {
    throw new WardenError('KW_USAGE', '--brokers is required (the broker count after the change)');
  }
  const brokers = wholeNumber(values.brokers, '--brokers', 1);
  const timeoutMs = wholeNumber(values.timeout ?? '15000', '--timeout', 1);
  const topics = values.topics
    ?.split(',')
    .map((topic) => topic.trim())
    .filter(Boolean);
  if (topics && topics.length === 0) {
    throw new WardenError('KW_USAGE', '--topics: name at least one topic');
  }
  const credentials: KafkaCredentialFiles = {
    ...(values['tls-dir'] ? { tlsDir: values['tls-dir'] } : {}),
    ...(values['sasl-username'] ? { saslUsername: values['sasl-username'] } : {}),
    ...(values['sasl-password-file'] ? { saslPasswordFile: values['sasl-password-file'] } : {}),
  };
  const lookup = dependencies.lookup ?? staticLookup(values.resolve ?? [], '--resolve');
  if (lookup) credentials.lookup = lookup;
  const kafka = await import('../kafka');
  kafka.checkCredentialFiles(credentials, { tls: '--tls-dir', sasl: '--sasl' });

  const connect = dependencies.connect ?? defaultConnect;
  const current = await readAssignment(connect, { bootstrap, credentials, timeoutMs }, topics);
  const summary = planReassignment(current.partitions, brokers);

  if (values['rollback-file']) {
    const before = new Map(current.partitions.map((p) => [`${p.topic}-${p.partition}`, p]));
    const rollback = summary.plan.partitions.map(
      (m) => before.get(`${m.topic}-${m.partition}`) as CurrentPartition,
    );
    writeRollback(values['rollback-file'], rollback);
  }
  process.stdout.write(formatPlan(summary.plan));
  process.stderr.write(describe(summary, brokers, current));
  return 0;
}

async function defaultConnect(options: PlanConnection): Promise<KafkaAdmin> {
  const { connectKafka, readKafkaCredentials } = await import('../kafka');
  return connectKafka({
    brokers: options.bootstrap,
    ...readKafkaCredentials(options.credentials),
    ...(options.credentials.lookup ? { lookup: options.credentials.lookup } : {}),
    clientId: 'kafka-warden-plan',
    connectionTimeoutMs: Math.min(options.timeoutMs, 5000),
    requestTimeoutMs: options.timeoutMs,
    retries: 1,
  });
}

interface Assignment {
  partitions: CurrentPartition[];
  /** Live broker ids. */
  brokers: number[];
  /** Topics left out by --topics, with replicas on each broker id (for the scale-down warning). */
  otherReplicas: Map<number, Set<string>>;
}

async function readAssignment(
  connect: (options: PlanConnection) => Promise<KafkaAdmin>,
  connection: PlanConnection,
  topics: string[] | undefined,
): Promise<Assignment> {
  const where = connection.bootstrap.join(',');
  const opened = connect(connection);
  try {
    const metadata = await withTimeout(
      `reading the partition assignment from ${where}`,
      connection.timeoutMs,
      async () => (await opened).metadata(),
    );
    const known = new Set(metadata.partitions.map((p) => p.topic));
    const unknown = (topics ?? []).filter((topic) => !known.has(topic));
    if (unknown.length > 0) {
      throw new WardenError(
        'KW_KAFKA_REQUEST',
        `--topics: ${unknown.join(', ')} not found in the cluster at ${where} (it has ` +
          `${known.size} topic(s)); check the names`,
      );
    }
    const wanted = topics ? new Set(topics) : undefined;
    const otherReplicas = new Map<number, Set<string>>();
    const partitions: CurrentPartition[] = [];
    for (const p of metadata.partitions) {
      if (!wanted || wanted.has(p.topic)) {
        partitions.push({ topic: p.topic, partition: p.partition, replicas: p.replicas });
        continue;
      }
      for (const id of p.replicas) {
        const names = otherReplicas.get(id) ?? new Set<string>();
        names.add(p.topic);
        otherReplicas.set(id, names);
      }
    }
    return { partitions, brokers: metadata.brokers, otherReplicas };
  } catch (error) {
    if (error instanceof LookupTimeout) {
      throw new WardenError(
        'KW_KAFKA_CONNECT',
        `${error.message}: is ${where} a broker's listener (and reachable from here)? ` +
          `Raise --timeout for a large cluster.`,
      );
    }
    throw error;
  } finally {
    // Closed once the metadata is read (or failed), and after a deadline whenever it opens: open
    // sockets would keep the process alive. Not as soon as it opens: that raced the Metadata
    // request, and against a real broker the close won ("Connection error: write after end").
    void opened.then(
      (admin) => admin.close().catch(() => undefined),
      () => undefined,
    );
  }
}

function writeRollback(file: string, partitions: CurrentPartition[]): void {
  try {
    writeFileSync(
      file,
      formatPlan({ partitions: partitions.map((p) => ({ ...p, replicas: [...p.replicas] })) }),
      {
        flag: 'wx',
      },
    );
  } catch (error) {
    throw new WardenError(
      'KW_USAGE',
      `--rollback-file ${file}: cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'}); it must not exist yet`,
    );
  }
}

function describe(summary: PlanSummary, brokers: number, current: Assignment): string {
  const lines = [
    `kafka-warden plan: ${summary.plan.partitions.length} of ${current.partitions.length} ` +
      `partition(s) change; ${summary.replicasMoved} replica(s) move, ` +
      `${summary.leadersChanged} preferred leader(s) change.`,
    `  replicas per broker 0..${brokers - 1}: ${summary.replicasPerBroker.join(' ')}`,
    `  preferred leaders per broker:      ${summary.leadersPerBroker.join(' ')}`,
  ];
  const left = [...current.otherReplicas.entries()]
    .filter(([id]) => id >= brokers)
    .flatMap(([, topics]) => [...topics]);
  if (left.length > 0) {
    lines.push(
      `  warning: topics outside --topics still have replicas on brokers ≥ ${brokers}: ` +
        `${[...new Set(left)].sort().join(', ')}; a scale-down stays unsafe until they move too.`,
    );
  }
  const absent = Array.from({ length: brokers }, (_, id) => id).filter(
    (id) => !current.brokers.includes(id),
  );
  if (absent.length > 0 && summary.plan.partitions.length > 0) {
    lines.push(
      `  note: brokers ${absent.join(', ')} are not running yet; kafka-reassign-partitions ` +
        `--execute refuses a plan naming them until they are.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
