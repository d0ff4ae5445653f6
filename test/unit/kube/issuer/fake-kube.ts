/**
 * An in-memory Kubernetes API for the Secret issuer's unit tests: GET, list (with a label
 * selector), POST (409 AlreadyExists), PUT (409 Conflict on a stale resourceVersion) and JSON merge
 * PATCH (which bumps metadata.generation when the spec changes), with resourceVersions kept as the
 * API server keeps them. Races are staged with `beforeNext`: a second issuer (the other replica)
 * runs between this one's read and its write.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import pino from 'pino';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '../../../../src/core/config';
import type { KubeApi, KubeResponse, RequestOptions } from '../../../../src/kube/kube-api';
import { SecretIssuer, type SecretIssuerOptions } from '../../../../src/kube/issuer/secret-issuer';
import { caToPem, createCa } from '../../../../src/tls';
import { sharedDir } from '../../../support/paths';

export type Obj = {
  metadata: Record<string, unknown> & {
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [k: string]: unknown;
};

interface Refusal {
  method: string;
  prefix: string;
  status: number;
  message: string;
}

/** RFC 7386: null deletes, objects merge, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

function matchesSelector(object: Obj, query: string): boolean {
  const selector = new URLSearchParams(query).get('labelSelector');
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=') as [string, string];
    return object.metadata.labels?.[key] === value;
  });
}

export class FakeApi implements KubeApi {
  readonly server = 'https://fake';
  readonly objects = new Map<string, Obj>();
  readonly writes: string[] = [];
  /** The content type of each PATCH attempt (refused ones too), in order. */
  readonly patchTypes: string[] = [];
  private version = 1;
  /** Runs once, just before the next request with this method reaches the store. */
  private readonly hooks: { method: string; run: () => Promise<void> }[] = [];
  private readonly refusals: Refusal[] = [];

  beforeNext(method: string, run: () => Promise<void>): void {
    this.hooks.push({ method, run });
  }

  /** Answers every `method` request whose path starts with `prefix` with this status, until cleared. */
  refuse(method: string, prefix: string, status: number, message: string): void {
    this.refusals.push({ method, prefix, status, message });
  }

  clearRefusals(): void {
    this.refusals.length = 0;
  }

  put(path: string, object: Obj): void {
    this.objects.set(path, {
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(this.version++) },
    });
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<KubeResponse<T>> {
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
    const [bare, query = ''] = path.split('?') as [string, string?];
    // Every PATCH attempt, refused or not.
    if (method === 'PATCH') this.patchTypes.push(options.contentType ?? 'application/json');
    const refusal = this.refusals.find((r) => r.method === method && bare.startsWith(r.prefix));
    if (refusal) return answer(refusal.status, { message: refusal.message });
    const collection =
      /^(\/apis\/apps\/v1|\/api\/v1)(?:\/namespaces\/([^/]+))?\/(statefulsets|secrets)$/.exec(bare);
    if (method === 'GET' && collection) {
      const [, group, namespace, resource] = collection;
      const prefix = namespace ? `${group}/namespaces/${namespace}/` : `${group}/`;
      const items = [...this.objects.entries()]
        .filter(([key]) => key.startsWith(group ?? '') && key.includes(`/${resource}/`))
        .filter(([key]) => !namespace || key.startsWith(prefix))
        .map(([, value]) => value)
        .filter((value) => matchesSelector(value, query));
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
    if (method === 'PATCH') {
      if (options.contentType !== 'application/merge-patch+json') {
        return answer(415, { message: 'unsupported patch type' });
      }
      const current = this.objects.get(bare);
      if (!current) return answer(404, { message: 'not found' });
      // A resourceVersion in a merge patch is a precondition, as the API server treats it.
      const expected = (body as Partial<Obj>).metadata?.resourceVersion;
      if (expected !== undefined && expected !== current.metadata.resourceVersion) {
        return answer(409, { reason: 'Conflict', message: 'the object has been modified' });
      }
      const next = mergePatch(current, body) as Obj;
      this.writes.push(`PATCH ${bare}`);
      if (isDeepStrictEqual(next, current)) return answer(200, current);
      const generation =
        (current.metadata.generation ?? 1) + (isDeepStrictEqual(next.spec, current.spec) ? 0 : 1);
      this.put(bare, { ...next, metadata: { ...next.metadata, generation } });
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

export const NS = 'kafka';
export const STS = `/apis/apps/v1/namespaces/${NS}/statefulsets/my-cp-cp-kafka`;
export const BROKER = `/api/v1/namespaces/${NS}/secrets/my-cp-cp-kafka-broker-tls`;
export const CLIENT = `/api/v1/namespaces/${NS}/secrets/my-cp-cp-kafka-client-tls`;
export const CA = '/api/v1/namespaces/platform/secrets/ca';
export const HASH = 'kafka-warden.io/tls-content-hash';

/** Everything the issuers in a test file logged (pino JSON lines). */
export const log = { text: '' };
export const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      log.text += chunk.toString();
      done();
    },
  }),
);

/** Parsed log lines with this message. */
export function logLines(msg: string): Record<string, unknown>[] {
  return log.text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

export async function caSecret(days = 365): Promise<Obj> {
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

export const stockBroker = parseAllDocuments(
  readFileSync(
    path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'kafka-zk-only.yaml'),
    'utf8',
  ),
)
  .map((doc) => doc.toJS() as Obj | null)
  .find((o) => o?.kind === 'StatefulSet' && String(o.metadata.name).endsWith('-cp-kafka')) as Obj;

export function brokerStatefulSet(replicas = 3, name = 'my-cp-cp-kafka', namespace = NS): Obj {
  const sts = structuredClone(stockBroker);
  sts.metadata = { name, namespace, generation: 1 };
  const spec = sts.spec as { replicas: number; serviceName: string };
  spec.replicas = replicas;
  // The chart names the headless Service after the StatefulSet.
  spec.serviceName = `${name}-headless`;
  return sts;
}

/** The issuer signs for the one cluster the fake API starts with unless a test names others. */
export function issuer(api: FakeApi, options: Partial<SecretIssuerOptions> = {}): SecretIssuer {
  return new SecretIssuer({
    api,
    config: resolveConfig(),
    caSecret: { namespace: 'platform', name: 'ca' },
    authorisation: { clusters: new Set([`${NS}/my-cp-cp-kafka`]), externalCluster: null },
    logger,
    ...options,
  });
}

export async function cluster(caDays = 365): Promise<FakeApi> {
  const api = new FakeApi();
  api.put(CA, await caSecret(caDays));
  api.put(STS, brokerStatefulSet());
  return api;
}

export const annotation = (api: FakeApi, path: string, key: string) =>
  api.objects.get(path)?.metadata.annotations?.[key];
