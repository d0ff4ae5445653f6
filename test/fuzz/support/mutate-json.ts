/**
 * Structural mutations of JSON data (a Kubernetes object, a policy, a configuration): a field
 * deleted, given a wrong type or a hostile value, nested deep, grown into a big array, a list entry
 * duplicated, a key renamed, `__proto__` keys added. Paths are picked at random, half the time
 * among fields the code under test reads (replicas, containers, names, images, env, annotations),
 * which a uniform pick over a 500-field object would rarely reach.
 */
import type { Random } from './budget';
import {
  bigArray,
  deepValue,
  DEPTHS,
  hostileString,
  hostileValue,
  type Json,
} from './hostile-values';

type Container = Json[] | { [key: string]: Json };
type Key = string | number;

/** Keys kafka-warden reads: mutating them reaches past the first type check. */
const INTERESTING_KEYS = new Set<Key>([
  'apiVersion',
  'kind',
  'metadata',
  'name',
  'namespace',
  'labels',
  'annotations',
  'ownerReferences',
  'spec',
  'replicas',
  'serviceName',
  'podManagementPolicy',
  'updateStrategy',
  'rollingUpdate',
  'maxUnavailable',
  'partition',
  'template',
  'containers',
  'initContainers',
  'image',
  'env',
  'value',
  'valueFrom',
  'command',
  'args',
  'ports',
  'containerPort',
  'volumes',
  'volumeMounts',
  'readinessProbe',
  'selector',
  'matchLabels',
  'minAvailable',
  'type',
  'nodePort',
  'port',
  'kafka-warden.io/status',
  'app',
]);

export interface MutationLimits {
  /** Longest string a mutation writes. */
  maxString: number;
  /** Most items of a big array. */
  maxArray: number;
  /** Whether nesting past the server's bound (and V8's stack) may be written. */
  deep: boolean;
}

/** Every path in `root` (iteratively: inputs may already be deep). */
export function paths(root: Json, maxPaths = 20_000): Key[][] {
  const out: Key[][] = [];
  const stack: [Json, Key[]][] = [[root, []]];
  while (stack.length > 0 && out.length < maxPaths) {
    const [value, path] = stack.pop() as [Json, Key[]];
    if (path.length > 0) out.push(path);
    if (value === null || typeof value !== 'object' || path.length > 40) continue;
    const entries: [Key, Json][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value);
    for (const [key, child] of entries) stack.push([child, [...path, key]]);
  }
  return out;
}

function parentOf(root: Json, path: readonly Key[]): Container | undefined {
  let node: Json = root;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? (node[key as number] as Json) : (node[key as string] as Json);
  }
  return node !== null && typeof node === 'object' ? node : undefined;
}

function get(container: Container, key: Key): Json {
  return (Array.isArray(container) ? container[key as number] : container[key as string]) as Json;
}

function set(container: Container, key: Key, value: Json): void {
  if (Array.isArray(container)) container[key as number] = value;
  // defineProperty: a plain assignment to '__proto__' would set the prototype, not a field.
  else
    Object.defineProperty(container, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

function remove(container: Container, key: Key): void {
  if (Array.isArray(container)) container.splice(key as number, 1);
  else delete container[key as string];
}

export function pickPath(rng: Random, root: Json): Key[] | undefined {
  const all = paths(root);
  if (all.length === 0) return undefined;
  if (rng.chance(0.5)) {
    const interesting = all.filter((p) => INTERESTING_KEYS.has(p[p.length - 1] as Key));
    if (interesting.length > 0) return rng.pick(interesting);
  }
  return rng.pick(all);
}

export const MUTATIONS = [
  'delete',
  'hostile',
  'deep',
  'big-array',
  'duplicate-entry',
  'rename-key',
  'proto-key',
  'swap',
  'long-string',
] as const;
export type MutationName = (typeof MUTATIONS)[number];

/**
 * Applies one mutation in place somewhere in `root` (which must be an object or array) and
 * returns its name, for the tally.
 */
export function mutateOnce(rng: Random, root: Json, limits: MutationLimits): MutationName {
  const path = pickPath(rng, root);
  if (!path) return 'hostile';
  const container = parentOf(root, path);
  const key = path[path.length - 1] as Key;
  if (!container) return 'hostile';
  const current = get(container, key);
  let name = rng.pick(MUTATIONS);
  if (name === 'deep' && !limits.deep) name = 'hostile';
  switch (name) {
    case 'delete':
      remove(container, key);
      break;
    case 'hostile':
      set(container, key, hostileValue(rng, current, Math.min(limits.maxString, 200)));
      break;
    case 'long-string':
      set(container, key, hostileString(rng, limits.maxString));
      break;
    case 'deep':
      set(container, key, deepValue(rng, rng.pick(DEPTHS)));
      break;
    case 'big-array':
      set(container, key, bigArray(rng, current, limits.maxArray));
      break;
    case 'duplicate-entry': {
      // Duplicate containers, env entries, ports, volumes: the nearest list on the path.
      const list = nearestList(root, path);
      if (list && list.length > 0) {
        const copies = rng.pick([1, 1, 2, 10, 100]);
        const entry = list[rng.int(list.length)] as Json;
        for (let i = 0; i < copies; i++) list.splice(rng.int(list.length + 1), 0, clone(entry));
      } else set(container, key, [current, current]);
      break;
    }
    case 'rename-key':
      if (!Array.isArray(container)) {
        remove(container, key);
        set(container, renamed(rng, String(key)), current);
      } else set(container, key, hostileValue(rng, current, 200));
      break;
    case 'proto-key':
      // On an array a `__proto__` field would not be serialised, only change the prototype here.
      if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
        set(current, rng.pick(['__proto__', 'constructor', 'prototype']), {
          polluted: 'yes',
          containers: [],
          replicas: 1,
        });
      } else if (!Array.isArray(container)) {
        set(container, '__proto__', { [String(key)]: current });
      }
      break;
    case 'swap': {
      const siblings = Array.isArray(container)
        ? container.map((_, i) => i)
        : Object.keys(container);
      const other = rng.pick<Key>(siblings);
      const value = get(container, other);
      set(container, other, current);
      set(container, key, value);
      break;
    }
  }
  return name;
}

function nearestList(root: Json, path: readonly Key[]): Json[] | undefined {
  for (let end = path.length; end > 0; end--) {
    const container = parentOf(root, path.slice(0, end));
    const value = container ? get(container, path[end - 1] as Key) : undefined;
    if (Array.isArray(value)) return value;
  }
  return undefined;
}

function renamed(rng: Random, key: string): string {
  return rng.pick([
    key.toUpperCase(),
    ` ${key}`,
    `${key} `,
    `${key}\u0000`,
    `${key}\u200b`,
    key.slice(1),
    `${key}s`,
    '',
    '__proto__',
    'constructor',
  ]);
}

export function clone<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
