/**
 * The issuer's writes. Each is conditional (a create fails if the object exists, an update or
 * patch carries the resourceVersion read), so a lost race comes back as CONFLICT for
 * retryOnConflict (conflict-retry.ts) instead of overwriting what another replica wrote.
 */
import type { KubeObject } from '../../core/k8s-types';
import { MERGE_PATCH, statusMessage, type KubeApi, type KubeResponse } from '../kube-api';
import { secretsPath, statefulSetPath, type SecretObject } from './api';
import { CONFLICT, type Conflict } from './conflict-retry';

/** The field manager the API server records for the issuer's patches (managedFields). */
export const FIELD_MANAGER = 'kafka-warden';

/** POST: the stored Secret, or CONFLICT when another replica created it first (AlreadyExists). */
export async function createSecret(
  api: KubeApi,
  namespace: string,
  manifest: unknown,
): Promise<SecretObject | Conflict> {
  const created = await api.request<SecretObject>('POST', secretsPath(namespace), manifest);
  if (created.status === 201) return created.body;
  if (created.status === 409) return CONFLICT;
  throw new Error(`create failed: ${statusMessage(created)}`);
}

/**
 * PUT with the resourceVersion the body carries: the stored Secret, or CONFLICT when it changed
 * since it was read. `failure` starts the error message of any other answer.
 */
export async function replaceSecret(
  api: KubeApi,
  path: string,
  body: unknown,
  failure = 'update failed',
): Promise<SecretObject | Conflict> {
  const replaced = await api.request<SecretObject>('PUT', path, body);
  if (replaced.status === 200) return replaced.body;
  if (replaced.status === 409) return CONFLICT;
  throw new Error(`${failure}: ${statusMessage(replaced)}`);
}

export type PatchOutcome =
  | { patched: KubeObject }
  /** Refused by a validating webhook or RBAC: the answer carries their reason. */
  | { refused: KubeResponse<unknown> };

/**
 * A JSON merge patch of a StatefulSet, conditional on the resourceVersion read (a resourceVersion
 * in a merge patch is a precondition): CONFLICT when it changed since.
 */
export async function patchStatefulSet(
  api: KubeApi,
  where: { namespace: string; name: string },
  /** As the StatefulSet was read (metadata is untyped in KubeObject). */
  resourceVersion: unknown,
  patch: object,
): Promise<PatchOutcome | Conflict> {
  const { namespace, name } = where;
  const body = resourceVersion ? { ...patch, metadata: { resourceVersion } } : patch;
  const patched = await api.request<KubeObject>(
    'PATCH',
    `${statefulSetPath(namespace, name)}?fieldManager=${FIELD_MANAGER}`,
    body,
    { contentType: MERGE_PATCH },
  );
  if (patched.status === 409) return CONFLICT;
  if (patched.status === 200) return { patched: patched.body };
  return { refused: patched };
}
