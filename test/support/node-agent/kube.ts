/**
 * The node agent's reads and writes against the API server: thin wrappers over apiRequest that
 * throw on an unexpected status (with the body's message), so a failed write is never silent.
 */
import { apiRequest, type ControlPlane } from '../control-plane';

export type Api = Pick<ControlPlane, 'server' | 'caPem' | 'adminCertPath' | 'adminKeyPath'>;

export interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  ownerReferences?: { kind: string; name: string }[];
  [key: string]: unknown;
}

export interface Obj<S = Record<string, unknown>> {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec?: S;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

function failure(method: string, path: string, status: number, body: unknown): Error {
  const message = (body as { message?: string }).message ?? JSON.stringify(body).slice(0, 500);
  return new Error(`${method} ${path}: HTTP ${status}: ${message}`);
}

export async function list<T = Obj>(api: Api, path: string): Promise<T[]> {
  const res = await apiRequest<{ items: T[] }>(api, 'GET', path);
  if (res.status !== 200) throw failure('GET', path, res.status, res.body);
  return res.body.items;
}

/** POST, PATCH, PUT or DELETE; `ok` lists the statuses that count as done (404 on a delete). */
export async function write(
  api: Api,
  method: string,
  path: string,
  body: unknown,
  options: { contentType?: string; ok?: number[] } = {},
): Promise<number> {
  const res = await apiRequest(api, method, path, body, options.contentType);
  const ok = options.ok ?? [200, 201];
  if (!ok.includes(res.status)) throw failure(method, path, res.status, res.body);
  return res.status;
}

/**
 * A strategic merge patch of a pod's status: conditions merge by `type`, so the conditions others
 * own (a readiness gate's, set by kafka-warden `serve`) are left as they are.
 */
export function patchPodStatus(api: Api, namespace: string, name: string, status: unknown) {
  return write(
    api,
    'PATCH',
    `/api/v1/namespaces/${namespace}/pods/${name}/status`,
    { status },
    {
      contentType: 'application/strategic-merge-patch+json',
      ok: [200, 404],
    },
  );
}
