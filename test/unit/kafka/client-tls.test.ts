// The Kafka client's TLS as a broker sees it, without a broker: a Node TLS server with
// kafka-warden broker material, requiring a client certificate. The client dials a pod DNS name
// that only the injected lookup resolves (to 127.0.0.1), verifies that name against the broker
// certificate, and presents the client keystore's certificate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { connectKafka } from '../../../src/kafka/client';
import { readKafkaCredentials } from '../../../src/kafka/credentials';
import { clientTlsOptions } from '../../../src/kafka/tls';
import { SECRET_KEYS } from '../../../src/core/tls-wiring';
import {
  issueBrokerMaterial,
  issueClientMaterial,
  type IssuedMaterial,
  type SigningCa,
} from '../../../src/tls';
import { decodeKeystore } from '../../../src/tls/pkcs12';
import { passwordsFromFiles } from '../../../src/tls/passwords';
import { certificateToPem } from '../../../src/tls/certificates';
import forge from 'node-forge';
import { clockAt, expectWardenError, testCa } from '../tls/fixtures';

jest.setTimeout(60_000);

const POD = 'kf-0.kf-headless.kafka';

/** Resolves every name to 127.0.0.1 and records what was asked. */
function loopback(asked: string[]): LookupFunction {
  return (hostname: string, options: unknown, callback?: unknown) => {
    asked.push(hostname);
    const done = (typeof options === 'function' ? options : callback) as (
      error: Error | null,
      address: string | { address: string; family: number }[],
      family?: number,
    ) => void;
    if (typeof options === 'object' && options !== null && (options as { all?: boolean }).all) {
      done(null, [{ address: '127.0.0.1', family: 4 }]);
    } else {
      done(null, '127.0.0.1', 4);
    }
  };
}

let ca: SigningCa;
let broker: IssuedMaterial;
let client: IssuedMaterial;
let server: Server;
let port: number;
const peers: (string | undefined)[] = [];
let dir: string;

beforeAll(async () => {
  const now = new Date();
  ({ ca } = await testCa('kafka test CA', clockAt(now)));
  broker = await issueBrokerMaterial({
    ca,
    commonName: 'kf',
    subjectAltNames: [POD, 'kf-headless.kafka'],
    clock: clockAt(now),
  });
  client = await issueClientMaterial({ ca, commonName: 'kafka-warden', clock: clockAt(now) });
  const passwords = passwordsFromFiles(broker.files, 'broker');
  const keystore = decodeKeystore(
    broker.files[SECRET_KEYS.keystore] as Buffer,
    passwords.keystore,
    'broker keystore',
  );
  server = createServer(
    {
      key: forge.pki.privateKeyToPem(keystore.key),
      cert: keystore.chain.map(certificateToPem).join(''),
      ca: [certificateToPem(ca.certificate)],
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket: TLSSocket) => {
      peers.push((socket.getPeerCertificate().subject as { CN?: string } | undefined)?.CN);
      socket.end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  dir = mkdtempSync(path.join(tmpdir(), 'kw-kafka-tls-'));
  for (const [name, data] of Object.entries(client.files))
    writeFileSync(path.join(dir, name), data);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function handshake(host: string, lookup: LookupFunction): Promise<TLSSocket> {
  const options = clientTlsOptions(client.files, 'client', { lookup });
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: host, ...options }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('clientTlsOptions', () => {
  test('dials a pod name through the injected lookup, verifies it, and presents the client certificate', async () => {
    const asked: string[] = [];
    const socket = await handshake(POD, loopback(asked));
    expect(socket.authorized).toBe(true);
    // With TLS 1.3 the server checks the client certificate after the client's handshake ends:
    // its hang-up after recording the peer is the signal.
    await new Promise((resolve) => socket.once('close', resolve).resume());
    expect(asked).toEqual([POD]);
    expect(peers).toContain('kafka-warden');
  });

  test('refuses a broker whose certificate does not name the host dialled (hostname verification)', async () => {
    await expect(handshake('kf-7.kf-headless.kafka', loopback([]))).rejects.toThrow(
      /does not match certificate's altnames|Hostname\/IP does not match/,
    );
  });

  test('gives Node PEM, never the store passwords', () => {
    const options = clientTlsOptions(client.files, 'client');
    const text = JSON.stringify(options);
    for (const file of [SECRET_KEYS.keystoreCredentials, SECRET_KEYS.truststoreCredentials]) {
      expect(text).not.toContain((client.files[file] as Buffer).toString('utf8'));
    }
    expect(options).toMatchObject({ rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    expect(options.key).toContain('BEGIN RSA PRIVATE KEY');
  });

  test('refuses material without a truststore, naming the file', async () => {
    const files = { ...client.files };
    delete files[SECRET_KEYS.truststore];
    await expectWardenError(
      () => clientTlsOptions(files, '/mnt/client'),
      'KW_TLS_INPUT',
      /kafka\.truststore\.p12/,
    );
  });

  test('refuses a wrong store password without showing it', async () => {
    const files = { ...client.files, [SECRET_KEYS.keystoreCredentials]: Buffer.from('not-it') };
    const error = await expectWardenError(
      () => clientTlsOptions(files, '/mnt/client'),
      'KW_TLS_INPUT',
      /does not open it/,
    );
    expect(error.message).not.toContain('not-it');
  });

  test('reads a client Secret directory (readKafkaCredentials), with SASL from a password file', () => {
    const passwordFile = path.join(dir, '..', `${path.basename(dir)}-sasl`);
    writeFileSync(passwordFile, 'webhook-secret\n');
    try {
      const credentials = readKafkaCredentials({
        tlsDir: dir,
        saslUsername: 'kafka-warden',
        saslPasswordFile: passwordFile,
      });
      expect(credentials.sasl).toEqual({ username: 'kafka-warden', password: 'webhook-secret' });
      expect(credentials.tls?.rejectUnauthorized).toBe(true);
    } finally {
      rmSync(passwordFile, { force: true });
    }
  });
});

describe('connectKafka', () => {
  test('with TLS, uses the injected lookup for the bootstrap name and reports a failure as KW_KAFKA_CONNECT', async () => {
    // The TLS server completes the handshake and hangs up: no Kafka behind it.
    const asked: string[] = [];
    const handshakes = peers.length;
    const { tls } = readKafkaCredentials({ tlsDir: dir });
    const error = await expectWardenError(
      connectKafka({
        brokers: [`${POD}:${port}`],
        ...(tls ? { tls } : {}),
        lookup: loopback(asked),
        connectionTimeoutMs: 2000,
        requestTimeoutMs: 2000,
        retries: 0,
      }),
      'KW_KAFKA_CONNECT',
      new RegExp(`cannot reach Kafka at ${POD}:${port}`),
    );
    expect(asked).toContain(POD);
    // kafkajs got through the TLS handshake, hostname verified, client certificate presented.
    expect(peers.slice(handshakes)).toContain('kafka-warden');
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  test('names a refused address', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const free = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expectWardenError(
      connectKafka({ brokers: [`127.0.0.1:${free}`], retries: 0, connectionTimeoutMs: 1000 }),
      'KW_KAFKA_CONNECT',
      /ECONNREFUSED|Connection error/,
    );
  });

  test('refuses SASL without TLS: the password would travel in clear', async () => {
    await expectWardenError(
      connectKafka({ brokers: ['x:9092'], sasl: { username: 'u', password: 'p' } }),
      'KW_USAGE',
      /over TLS only/,
    );
  });
});
