/**
 * The Secret issuer's decisions and its concurrency protocol against an in-memory API that keeps
 * resourceVersions like the API server does, with races staged deterministically: a second issuer
 * (the other replica) runs a whole pass between this one's read and its write. The real API server
 * runs the same issuer in test/e2e/cluster/secret-issuer.test.ts.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { resolveConfig } from '../../../src/core/config';
import type { KubeApi, KubeResponse } from '../../../src/kube/kube-api';
import { SecretIssuer } from '../../../src/kube/secret-issuer';
import { caToPem, certificatesFromPem, createCa, fingerprint } from '../../../src/tls';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { sharedDir } from '../../support/paths';

type Obj = {
  metadata: Record<string, unknown> & { resourceVersion?: string };
  [k: string]: unknown;
};

/** GET, POST (409 AlreadyExists) and PUT (409 Conflict on a stale resourceVersion), like the API server. */
class FakeApi implements KubeApi {
  readonly server = 'https://fake';
  readonly objects = new Map<string, Obj>();
  readonly writes: string[] = [];
  private version = 1;
  /** Runs once, just before the next request with this method reaches the store. */
  private readonly hooks: { method: string; run: () => Promise<void> }[] = [];

  beforeNext(method: string, run: () => Promise<void>): void {
    this.hooks.push({ method, run });
  }

  put(path: string, object: Obj): void {
    this.objects.set(path, {
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(this.version++) },
    });
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<KubeResponse<T>> {
    const hook = this.hooks.findIndex((h) => h.method === method);
    if (hook !== -1) {
      const [{ run }] = this.hooks.splice(hook, 1) as [
        { method: string; run: () => Promise<void> },
      ];
      await run();
    }
    const answer = (status: number, value: unknown) => ({
      status,
      body: structuredClone(value) as T,
    });
    const [bare] = path.split('?') as [string];
    if (method === 'GET' && bare === '/apis/apps/v1/statefulsets') {
      const items = [...this.objects.entries()]
        .filter(([key]) => key.includes('/statefulsets/'))
        .map(([, value]) => value);
      return answer(200, { items, metadata: {} });
    }
    if (method === 'GET') {
      const found = this.objects.get(bare);
      return found ? answer(200, found) : answer(404, { message: 'not found' });
    }
    const object = body as Obj;
    if (method === 'POST') {
      const target = `${bare}/${String(object.metadata.name)}`;
      if (this.objects.has(target))
        return answer(409, { reason: 'AlreadyExists', message: 'exists' });
      this.put(target, object);
      this.writes.push(`POST ${target}`);
      return answer(201, this.objects.get(target));
    }
    if (method === 'PUT') {
      const current = this.objects.get(bare);
      if (!current) return answer(404, { message: 'not found' });
      if (object.metadata.resourceVersion !== current.metadata.resourceVersion) {
        return answer(409, { reason: 'Conflict', message: 'the object has been modified' });
      }
      this.put(bare, object);
      this.writes.push(`PUT ${bare}`);
      return answer(200, this.objects.get(bare));
    }
    return answer(405, { message: method });
  }

  watch(_path: string, _onEvent: unknown, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }
}

const NS = 'kafka';
const STS = `/apis/apps/v1/namespaces/${NS}/statefulsets/my-cp-cp-kafka`;
const BROKER = `/api/v1/namespaces/${NS}/secrets/my-cp-cp-kafka-broker-tls`;
const CLIENT = `/api/v1/namespaces/${NS}/secrets/my-cp-cp-kafka-client-tls`;
const CA = '/api/v1/namespaces/platform/secrets/ca';

let logText = '';
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logText += chunk.toString();
      done();
    },
  }),
);

async function caSecret(days = 365): Promise<Obj> {
  const { ca } = await createCa({ commonName: 'unit CA', bits: 2048, days });
  const pem = caToPem(ca);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'ca', namespace: 'platform' },
    data: {
      'tls.crt': Buffer.from(pem.certificate).toString('base64'),
      'tls.key': Buffer.from(pem.key).toString('base64'),
    },
  };
}

const stockBroker = parseAllDocuments(
  readFileSync(
    path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'kafka-zk-only.yaml'),
    'utf8',
  ),
)
  .map((doc) => doc.toJS() as Obj | null)
  .find((o) => o?.kind === 'StatefulSet' && String(o.metadata.name).endsWith('-cp-kafka')) as Obj;

function brokerStatefulSet(replicas = 3): Obj {
  const sts = structuredClone(stockBroker);
  sts.metadata = { name: 'my-cp-cp-kafka', namespace: NS };
  (sts.spec as { replicas: number }).replicas = replicas;
  return sts;
}

function issuer(api: FakeApi): SecretIssuer {
  return new SecretIssuer({
    api,
    config: resolveConfig(),
    caSecret: { namespace: 'platform', name: 'ca' },
    logger,
  });
}

async function cluster(caDays = 365): Promise<FakeApi> {
  const api = new FakeApi();
  api.put(CA, await caSecret(caDays));
  api.put(STS, brokerStatefulSet());
  return api;
}

const annotation = (api: FakeApi, path: string, key: string) =>
  (api.objects.get(path)?.metadata.annotations as Record<string, string> | undefined)?.[key];
const HASH = 'kafka-warden.io/tls-content-hash';

test('a broker StatefulSet without Secrets gets both, created with POST; the next pass writes nothing', async () => {
  const api = await cluster();
  await issuer(api).reconcile();
  expect(api.writes).toEqual([`POST ${BROKER}`, `POST ${CLIENT}`]);
  expect(Object.keys(api.objects.get(BROKER)?.data as object).sort()).toEqual([
    'kafka.keystore.p12',
    'kafka.truststore.p12',
    'key-credentials',
    'keystore-credentials',
    'ssl-passwords.properties',
    'truststore-credentials',
  ]);
  await issuer(api).reconcile();
  expect(api.writes).toHaveLength(2);
}, 30_000);

test('losing the create race: the 409 winner is read back and kept, nothing is replaced', async () => {
  const api = await cluster();
  const other = issuer(api);
  // The other replica runs a whole pass between this replica's read (404) and its create.
  api.beforeNext('POST', () => other.reconcile());
  await issuer(api).reconcile();
  expect(api.writes.filter((w) => w.startsWith('POST'))).toHaveLength(2);
  expect(api.writes.filter((w) => w.startsWith('PUT'))).toEqual([]);
  expect(logText).toContain('created by another replica first; reading it back');
}, 30_000);

test('losing the renewal race: the 409 Conflict is re-read and re-decided, one renewal in all', async () => {
  const api = await cluster();
  await issuer(api).reconcile();
  const issued = annotation(api, BROKER, HASH);
  api.put(STS, brokerStatefulSet(5)); // a scale-up: names-missing
  const other = issuer(api);
  api.beforeNext('PUT', () => other.reconcile());
  await issuer(api).reconcile();
  const renewals = api.writes.filter((w) => w === `PUT ${BROKER}`);
  expect(renewals).toHaveLength(1);
  expect(annotation(api, BROKER, HASH)).not.toBe(issued);
  expect(annotation(api, BROKER, 'kafka-warden.io/tls-subject-alt-names')).toContain(
    'my-cp-cp-kafka-4.',
  );
  expect(logText).toContain('changed concurrently; re-reading');
  // The client Secret carries no broker names: untouched.
  expect(api.writes.filter((w) => w === `PUT ${CLIENT}`)).toEqual([]);
}, 30_000);

test("someone else's Secret is never replaced", async () => {
  const api = await cluster();
  api.put(BROKER, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'my-cp-cp-kafka-broker-tls' },
    data: {},
  });
  await issuer(api).reconcile();
  expect(api.writes).toEqual([`POST ${CLIENT}`]);
}, 30_000);

test('material capped by a CA that expires inside the renewal window is not renewed in a loop', async () => {
  const api = await cluster(20);
  await issuer(api).reconcile();
  await issuer(api).reconcile();
  await issuer(api).reconcile();
  expect(api.writes.filter((w) => w.startsWith('PUT'))).toEqual([]);
  expect(logText).toContain('the CA expires first');
}, 30_000);

test('no CA Secret: nothing is issued, and the problem is logged once', async () => {
  const api = await cluster();
  api.objects.delete(CA);
  const before = logText.split('no usable CA').length;
  const one = issuer(api);
  await one.reconcile();
  await one.reconcile();
  expect(api.writes).toEqual([]);
  expect(logText.split('no usable CA').length - before).toBe(1);
});

test('logs never carry passwords or store bytes', async () => {
  const api = await cluster();
  await issuer(api).reconcile();
  const data = api.objects.get(BROKER)?.data as Record<string, string>;
  const password = Buffer.from(data['keystore-credentials'] as string, 'base64').toString();
  expect(logText).not.toContain(password);
  expect(logText).not.toContain((data['kafka.keystore.p12'] as string).slice(0, 32));
  expect(logText).not.toMatch(/PRIVATE KEY/);
}, 30_000);

test('a new CA the truststore does not trust yet is not applied; once trusted, it signs', async () => {
  const api = await cluster();
  await issuer(api).reconcile();
  api.put(CA, await caSecret());
  await issuer(api).reconcile();
  expect(api.writes.filter((w) => w.startsWith('PUT'))).toEqual([]);
  expect(logText).toContain('does not trust the new CA yet');

  // Step 1 done by hand: the truststore annotation records the new CA (the data is not read for
  // this decision). The issuer now signs with the new CA.
  const next = api.objects.get(CA) as Obj;
  const nextPem = Buffer.from((next.data as Record<string, string>)['tls.crt'] as string, 'base64');
  const nextFingerprint = fingerprint(certificatesFromPem(nextPem.toString(), 'ca')[0]!);
  const broker = api.objects.get(BROKER) as Obj;
  const annotations = broker.metadata.annotations as Record<string, string>;
  const trusted = 'kafka-warden.io/tls-trusted-ca-fingerprints';
  annotations[trusted] = `${annotations[trusted]},${nextFingerprint}`;
  await issuer(api).reconcile();
  // Content-hash still matches (only annotations changed), so the reason is ca-changed.
  expect(api.writes.filter((w) => w.startsWith('PUT'))).toEqual([`PUT ${BROKER}`]);
  expect(annotation(api, BROKER, 'kafka-warden.io/tls-ca-fingerprint')).toBe(nextFingerprint);
}, 30_000);
