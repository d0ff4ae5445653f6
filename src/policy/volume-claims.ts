/**
 * What an earlier StatefulSet of the same name left behind. kafka-warden keeps no state, so a CREATE
 * cannot know how many brokers the StatefulSet had before a deletion, but Kubernetes keeps it: the
 * PersistentVolumeClaims of a StatefulSet (`<template>-<statefulset>-<ordinal>`) outlive it, and
 * with `--cascade=orphan` so do its pods, which the new StatefulSet adopts, deleting those at or
 * above its replica count. The webhook server lists the claims through the API (src/kube); `check`
 * and the post-renderer have no cluster to ask.
 */
import type { StatefulSetSpec } from '../core/k8s-types';

export interface VolumeClaimSource {
  /** The names of the PersistentVolumeClaims in a namespace. Rejects on an I/O failure. */
  listClaimNames(namespace: string, signal: AbortSignal): Promise<readonly string[]>;
}

export type VolumeClaimLookup =
  { status: 'listed'; names: readonly string[] } | { status: 'failed'; reason: string };

/** The names of a StatefulSet's volumeClaimTemplates. */
export function claimTemplates(spec: StatefulSetSpec): string[] {
  const templates = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
  return templates
    .map((template) => template?.metadata?.name)
    .filter((name): name is string => typeof name === 'string' && name !== '');
}

/** Claims of StatefulSet `name` from these templates, by ordinal (ascending). */
export function claimsByOrdinal(
  claimNames: readonly string[],
  name: string,
  templates: readonly string[],
): Map<number, string[]> {
  const found = new Map<number, string[]>();
  for (const claim of claimNames) {
    for (const template of templates) {
      const prefix = `${template}-${name}-`;
      if (!claim.startsWith(prefix)) continue;
      const ordinal = claim.slice(prefix.length);
      // Digits only: `data-kafka-1-0` is StatefulSet kafka-1's, not kafka's.
      if (!/^(0|[1-9]\d*)$/.test(ordinal)) continue;
      const claims = found.get(Number(ordinal)) ?? [];
      claims.push(claim);
      found.set(Number(ordinal), claims);
    }
  }
  return new Map([...found].sort(([a], [b]) => a - b));
}
