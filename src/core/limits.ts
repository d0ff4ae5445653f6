/**
 * Bounds on what an input may make kafka-warden do. Every count, depth and length read from an
 * admitted object, a render or a policy file is hostile until bounded: a replica count drives
 * per-broker loops, nesting drives recursion (JSON.stringify, structural comparisons, YAML
 * dumping), and any string may end up in a message. Each bound sits far above what a real
 * cp-helm-charts release or Kubernetes object needs, and is enforced before the work it bounds.
 */

/**
 * The most brokers (StatefulSet replicas) kafka-warden builds per-broker work for: certificates'
 * names, per-broker Services, the broker ids a scale-down removes. Kafka clusters of a thousand
 * brokers are rare; a count above this is refused, never iterated.
 */
export const MAX_BROKERS = 1000;

/** A broker count kafka-warden works with: a whole number from 0 to MAX_BROKERS. */
export function isBrokerCount(count: unknown): count is number {
  return Number.isInteger(count) && (count as number) >= 0 && (count as number) <= MAX_BROKERS;
}

/**
 * How deeply an admitted object may nest. A StatefulSet's deepest real path (an affinity term's
 * match expression values under the pod template) is under 20 levels; V8's JSON.stringify, used
 * for comparisons and answers, overflows its stack near a few thousand.
 */
export const MAX_OBJECT_DEPTH = 100;

/** Characters of an input value quoted in a message before it is cut. */
export const MAX_QUOTED_CHARS = 120;

/**
 * Whether `value` nests deeper than `maxDepth` objects or arrays. Recursive, but never more than
 * `maxDepth` calls deep: it answers before descending further, so no input overflows the stack.
 * It runs on every admission body: no work list of [value, depth] pairs, no array of an object's
 * values per object (for…in instead of Object.values), and only objects and arrays are descended
 * into.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  return value !== null && typeof value === 'object' && deeperThan(value, maxDepth, 1);
}

function deeperThan(value: object, maxDepth: number, depth: number): boolean {
  if (depth > maxDepth) return true;
  if (Array.isArray(value)) {
    for (const child of value as unknown[]) {
      if (child !== null && typeof child === 'object' && deeperThan(child, maxDepth, depth + 1)) {
        return true;
      }
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    // Own properties only, as Object.values: JSON.parse makes no others, but callers pass any value.
    if (!Object.hasOwn(record, key)) continue;
    const child = record[key];
    if (child !== null && typeof child === 'object' && deeperThan(child, maxDepth, depth + 1)) {
      return true;
    }
  }
  return false;
}

/**
 * An input value for a message: a string or number quoted as JSON and cut to `maxChars`, anything
 * else named by its type. Never serialises a structure, whose size and depth the input decides.
 */
export function quoteInput(value: unknown, maxChars = MAX_QUOTED_CHARS): string {
  if (typeof value === 'string') {
    const cut = value.length > maxChars ? `${value.slice(0, maxChars)}…` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  if (value === undefined) return 'nothing';
  return Array.isArray(value)
    ? 'a list'
    : `a ${typeof value === 'object' ? 'mapping' : typeof value}`;
}
