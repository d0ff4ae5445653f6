/**
 * `kafka-warden serve --kafka-tls-dir` as a process, wired end to end without a Kafka: the probe
 * is built from a client keystore directory, asked on a broker pod-template change, fails (nothing
 * listens at the bootstrap address), the rule fails open with a warning, the metric records the
 * failed question, nothing secret reaches the logs, and SIGTERM still exits 0 (connections
 * closed). Against real Kafka: test/e2e/kafka.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SECRET_KEYS } from '../../src/core/tls-wiring';
import { issueClientMaterial, type IssuedMaterial } from '../../src/tls';
import { admissionReview } from '../support/pods';
import { startServe, type ServeProcess } from '../support/serve-process';
import { testCa } from '../unit/tls/fixtures';
import { kafka } from '../unit/policy/fixtures';

jest.setTimeout(60_000);

function send(serve: ServeProcess, method: string, urlPath: string, body?: string) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: serve.port,
        servername: 'localhost',
        path: urlPath,
        method,
        ca: serve.ca,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let dir: string;
let client: IssuedMaterial;
let closedPort: number;

beforeAll(async () => {
  const { ca } = await testCa('kafka test CA', () => new Date());
  client = await issueClientMaterial({ ca, commonName: 'kafka-warden' });
  dir = mkdtempSync(path.join(tmpdir(), 'kw-serve-kafka-'));
  for (const [name, data] of Object.entries(client.files))
    writeFileSync(path.join(dir, name), data);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a pod-template change with the cluster unreachable: allowed with a warning, the failure counted, nothing secret logged', async () => {
  const serve = await startServe([
    '--kafka-tls-dir',
    dir,
    '--kafka-bootstrap-template',
    `127.0.0.1:${closedPort}`,
  ]);
  try {
    const before = kafka();
    const after = kafka({ image: 'confluentinc/cp-enterprise-kafka:6.1.1' });
    const review = admissionReview(after, { operation: 'UPDATE', oldObject: before });
    const answer = await send(serve, 'POST', '/validate', JSON.stringify(review));
    expect(answer.status).toBe(200);
    const response = (
      JSON.parse(answer.text) as { response: { allowed: boolean; warnings?: string[] } }
    ).response;
    expect(response.allowed).toBe(true);
    expect(response.warnings?.join('\n')).toContain('rolling-restart: rolling restart not checked');

    const metrics = await send(serve, 'GET', '/metrics');
    expect(metrics.text).toMatch(
      /kafka_warden_cluster_check_duration_seconds_count\{question="partition-health",outcome="failed"\} 1/,
    );
  } finally {
    serve.child.kill('SIGTERM');
  }
  expect(await serve.exited).toBe(0);
  const logs = serve.logs();
  for (const file of [SECRET_KEYS.keystoreCredentials, SECRET_KEYS.truststoreCredentials]) {
    expect(logs).not.toContain((client.files[file] as Buffer).toString('utf8'));
  }
  expect(logs).not.toContain('PRIVATE KEY');
});

test('refuses to start with a client keystore directory it cannot use', async () => {
  await expect(startServe(['--kafka-tls-dir', path.join(dir, 'missing')], 20_000)).rejects.toThrow(
    /KW_TLS_INPUT/,
  );
});

test('refuses --kafka-* options without --kafka-tls-dir', async () => {
  await expect(startServe(['--kafka-bootstrap-template', 'k:9093'], 20_000)).rejects.toThrow(
    /--kafka-bootstrap-template configure the live cluster checks, which need --kafka-tls-dir/,
  );
});
