// `kafka-warden plan`, in-process: arguments, errors (nothing on stdout), and the plan it prints
// for an assignment served by a test double of the KafkaAdmin interface. Against real Kafka (the
// built CLI with --tls-dir and --resolve): test/e2e/kafka/live-checks.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, type PlanDependencies } from '../../../src/commands/plan';
import type { ClusterMetadata, KafkaAdmin, PartitionInfo } from '../../../src/kafka/client';
import { parseReassignmentPlan } from '../../../src/policy/reassignment-plan';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  error: { code?: string; message: string } | null;
}

async function plan(args: string[], dependencies: PlanDependencies = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const out = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    });
  const err = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      stderr += chunk.toString();
      return true;
    });
  try {
    return { code: await run(args, dependencies), stdout, stderr, error: null };
  } catch (error) {
    return { code: null, stdout, stderr, error: error as Outcome['error'] };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function partition(topic: string, p: number, replicas: number[]): PartitionInfo {
  return {
    topic,
    partition: p,
    leader: replicas[0] ?? -1,
    replicas,
    isr: replicas,
    offlineReplicas: [],
  };
}

/** Five brokers; "orders" spread over all, "audit" partly on brokers 3 and 4. */
const FIVE: ClusterMetadata = {
  brokers: [0, 1, 2, 3, 4],
  partitions: [
    ...[0, 1, 2, 3, 4].map((p) => partition('orders', p, [p, (p + 1) % 5, (p + 2) % 5])),
    partition('audit', 0, [3, 4]),
    partition('audit', 1, [0, 1]),
  ],
};

function serving(metadata: ClusterMetadata) {
  const seen: { bootstrap: string[]; tlsDir?: string }[] = [];
  let closed = 0;
  const dependencies: PlanDependencies = {
    connect: (options) => {
      seen.push({
        bootstrap: options.bootstrap,
        ...(options.credentials.tlsDir ? { tlsDir: options.credentials.tlsDir } : {}),
      });
      const admin: KafkaAdmin = {
        metadata: () => Promise.resolve(structuredClone(metadata)),
        minInsyncReplicas: () => Promise.resolve(new Map()),
        close: () => {
          closed++;
          return Promise.resolve();
        },
      };
      return Promise.resolve(admin);
    },
  };
  return { dependencies, seen, closed: () => closed };
}

describe('kafka-warden plan', () => {
  test('prints a plan that moves every replica off the removed brokers, and a summary on stderr', async () => {
    const { dependencies, seen, closed } = serving(FIVE);
    const outcome = await plan(
      [
        '--bootstrap-server',
        'kf-0.kf-headless.kafka:9093',
        '--brokers',
        '3',
        '--tls-dir',
        '/mnt/tls',
      ],
      dependencies,
    );
    expect(outcome.error).toBeNull();
    expect(outcome.code).toBe(0);
    const parsed = parseReassignmentPlan(outcome.stdout);
    if (!parsed.ok) throw new Error(parsed.problem);
    const moved = new Map(
      parsed.plan.partitions.map((m) => [`${m.topic}-${m.partition}`, m.replicas]),
    );
    for (const p of FIVE.partitions) {
      const replicas = moved.get(`${p.topic}-${p.partition}`) ?? p.replicas;
      expect(replicas.every((id) => id < 3)).toBe(true);
      expect(replicas).toHaveLength(p.replicas.length);
    }
    expect(moved.has('audit-1')).toBe(false); // already on brokers 0 and 1: untouched
    expect(outcome.stderr).toMatch(
      /kafka-warden plan: \d+ of 7 partition\(s\) change; \d+ replica\(s\) move/,
    );
    expect(outcome.stderr).toContain('replicas per broker 0..2: 7 6 6');
    expect(seen).toEqual([{ bootstrap: ['kf-0.kf-headless.kafka:9093'], tlsDir: '/mnt/tls' }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed()).toBe(1);
  });

  test('closes the connection after reading the metadata, not before (a real broker answers later)', async () => {
    let closed = false;
    const events: string[] = [];
    const admin: KafkaAdmin = {
      // As over a socket: the answer comes a turn later, and not at all once the socket is closed.
      metadata: () =>
        new Promise((resolve, reject) =>
          setTimeout(() => {
            events.push(closed ? 'metadata after close' : 'metadata');
            if (closed) reject(new Error('Connection error: write after end'));
            else resolve(structuredClone(FIVE));
          }, 10),
        ),
      minInsyncReplicas: () => Promise.resolve(new Map()),
      close: () => {
        closed = true;
        events.push('close');
        return Promise.resolve();
      },
    };
    const outcome = await plan(['--bootstrap-server', 'k:9093', '--brokers', '3'], {
      connect: () => Promise.resolve(admin),
    });
    expect(outcome.error).toBeNull();
    expect(outcome.code).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['metadata', 'close']);
  });

  test('--topics plans only those topics and warns about others left on removed brokers', async () => {
    const { dependencies } = serving(FIVE);
    const outcome = await plan(
      ['--bootstrap-server', 'k:9093', '--brokers', '3', '--topics', 'orders'],
      dependencies,
    );
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).not.toContain('"audit"');
    expect(outcome.stderr).toContain(
      'topics outside --topics still have replicas on brokers ≥ 3: audit',
    );
  });

  test('--rollback-file keeps the current assignment of what the plan moves', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-plan-'));
    try {
      const file = path.join(dir, 'rollback.json');
      const { dependencies } = serving(FIVE);
      const outcome = await plan(
        ['--bootstrap-server', 'k:9093', '--brokers', '3', '--rollback-file', file],
        dependencies,
      );
      expect(outcome.code).toBe(0);
      const rollback = parseReassignmentPlan(readFileSync(file, 'utf8'));
      const planned = parseReassignmentPlan(outcome.stdout);
      if (!rollback.ok || !planned.ok) throw new Error('unreadable');
      expect(rollback.plan.partitions.map((m) => `${m.topic}-${m.partition}`)).toEqual(
        planned.plan.partitions.map((m) => `${m.topic}-${m.partition}`),
      );
      expect(rollback.plan.partitions.find((m) => m.topic === 'audit')?.replicas).toEqual([3, 4]);
      // Never overwritten: the rollback of an earlier plan may be all that is left of it.
      const again = await plan(
        ['--bootstrap-server', 'k:9093', '--brokers', '3', '--rollback-file', file],
        dependencies,
      );
      expect(again.error?.code).toBe('KW_USAGE');
      expect(again.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each<[string, string, string[], RegExp]>([
    ['no --bootstrap-server', 'KW_USAGE', ['--brokers', '3'], /--bootstrap-server is required/],
    [
      'an address without a port',
      'KW_USAGE',
      ['--bootstrap-server', 'kafka', '--brokers', '3'],
      /"kafka" is not host:port/,
    ],
    ['no --brokers', 'KW_USAGE', ['--bootstrap-server', 'k:9093'], /--brokers is required/],
    [
      'zero brokers',
      'KW_USAGE',
      ['--bootstrap-server', 'k:9093', '--brokers', '0'],
      /--brokers must be a whole number ≥ 1/,
    ],
    [
      'a fractional count',
      'KW_USAGE',
      ['--bootstrap-server', 'k:9093', '--brokers', '2.5'],
      /whole number/,
    ],
    [
      'an unknown option',
      'KW_USAGE',
      ['--bootstrap-server', 'k:9093', '--brokers', '3', '--zk', 'x'],
      /--zk/,
    ],
    [
      'a SASL user without a password file',
      'KW_USAGE',
      ['--bootstrap-server', 'k:9093', '--brokers', '3', '--tls-dir', 'd', '--sasl-username', 'u'],
      /--sasl-username and --sasl-password-file go together/,
    ],
    [
      'SASL without TLS',
      'KW_USAGE',
      [
        '--bootstrap-server',
        'k:9093',
        '--brokers',
        '3',
        '--sasl-username',
        'u',
        '--sasl-password-file',
        'f',
      ],
      /over TLS only/,
    ],
    [
      'a TLS directory that does not exist',
      'KW_TLS_INPUT',
      ['--bootstrap-server', 'k:9093', '--brokers', '3', '--tls-dir', '/nonexistent/tls'],
      /\/nonexistent\/tls/,
    ],
  ])('given %s, fails with %s and prints nothing on stdout', async (_name, code, args, message) => {
    const outcome = await plan(args);
    expect(outcome.error?.code).toBe(code);
    expect(outcome.error?.message).toMatch(message);
    expect(outcome.stdout).toBe('');
  });

  test('given a replication factor above the new broker count, fails with KW_PLAN_IMPOSSIBLE and prints nothing', async () => {
    const { dependencies } = serving(FIVE);
    const outcome = await plan(['--bootstrap-server', 'k:9093', '--brokers', '2'], dependencies);
    expect(outcome.error?.code).toBe('KW_PLAN_IMPOSSIBLE');
    expect(outcome.error?.message).toContain('orders (replication factor 3)');
    expect(outcome.stdout).toBe('');
  });

  test('given a topic that does not exist, fails naming it', async () => {
    const { dependencies } = serving(FIVE);
    const outcome = await plan(
      ['--bootstrap-server', 'k:9093', '--brokers', '3', '--topics', 'orders,ordres'],
      dependencies,
    );
    expect(outcome.error?.code).toBe('KW_KAFKA_REQUEST');
    expect(outcome.error?.message).toContain('ordres not found');
    expect(outcome.stdout).toBe('');
  });

  test('given an address where nothing listens, fails with KW_KAFKA_CONNECT naming it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const outcome = await plan([
      '--bootstrap-server',
      `127.0.0.1:${port}`,
      '--brokers',
      '3',
      '--timeout',
      '5000',
    ]);
    expect(outcome.error?.code).toBe('KW_KAFKA_CONNECT');
    expect(outcome.error?.message).toContain(`127.0.0.1:${port}`);
    expect(outcome.stdout).toBe('');
  });

  test('given a cluster that does not answer in time, fails with KW_KAFKA_CONNECT', async () => {
    const outcome = await plan(
      ['--bootstrap-server', 'k:9093', '--brokers', '3', '--timeout', '30'],
      {
        connect: () => new Promise(() => undefined),
      },
    );
    expect(outcome.error?.code).toBe('KW_KAFKA_CONNECT');
    expect(outcome.error?.message).toContain('took longer than 30 ms');
    expect(outcome.stdout).toBe('');
  });

  test('--help prints the usage', async () => {
    const outcome = await plan(['--help']);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('usage: kafka-warden plan');
  });
});
