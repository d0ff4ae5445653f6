/**
 * The issuer's reads and the paths of its objects: one Secret, one StatefulSet, a collection page
 * by page in each covered namespace. Writes are in writes.ts.
 */
import { statusMessage, type KubeApi, type KubeResponse } from '../kube-api';

export interface SecretObject {
  metadata?: {
    resourceVersion?: string;
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

interface ListBody {
  items?: unknown[];
  metadata?: { continue?: string };
}

const PAGE_SIZE = 250;

export function secretPath(namespace: string, name: string): string {
  return `${secretsPath(namespace)}/${encodeURIComponent(name)}`;
}

/** Where a Secret is created (POST). */
export function secretsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
}

export function statefulSetPath(namespace: string, name: string): string {
  return (
    `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}` +
    `/statefulsets/${encodeURIComponent(name)}`
  );
}

/** The collection's path in each covered namespace, or the cluster-wide one. */
export function collectionPaths(
  group: string,
  resource: string,
  namespaces: readonly string[] | undefined,
): string[] {
  return namespaces?.length
    ? namespaces.map((ns) => `${group}/namespaces/${encodeURIComponent(ns)}/${resource}`)
    : [`${group}/${resource}`];
}

/** Every item under each path, page by page; `filter` is a query such as a label selector. */
export async function listAll(
  api: KubeApi,
  paths: readonly string[],
  filter = '',
): Promise<unknown[]> {
  const items: unknown[] = [];
  for (const base of paths) {
    let token: string | undefined;
    do {
      const query = `?limit=${PAGE_SIZE}${filter ? `&${filter}` : ''}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
      const page: KubeResponse<ListBody> = await api.request<ListBody>('GET', `${base}${query}`);
      if (page.status !== 200) throw new Error(`list ${base}: ${statusMessage(page)}`);
      items.push(...(page.body.items ?? []));
      token = page.body.metadata?.continue || undefined;
    } while (token);
  }
  return items;
}

/** The object at `path`; null when there is none (404); throws on any other answer. */
export async function readObject<T>(
  api: KubeApi,
  path: string,
  failure = 'read failed',
): Promise<T | null> {
  const read = await api.request<T>('GET', path);
  if (read.status === 404) return null;
  if (read.status !== 200) throw new Error(`${failure}: ${statusMessage(read)}`);
  return read.body;
}

/** The object at `path`, which must exist: a 404 throws like any other failure. */
export async function readExisting<T>(
  api: KubeApi,
  path: string,
  failure = 'read failed',
): Promise<T> {
  const read = await api.request<T>('GET', path);
  if (read.status !== 200) throw new Error(`${failure}: ${statusMessage(read)}`);
  return read.body;
}
