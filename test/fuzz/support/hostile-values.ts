/**
 * Values an attacker or a broken tool may put anywhere in an object: numbers at and past every
 * boundary the code may care about (int32, safe integers, 0, negatives, fractions), strings that
 * are long, hold control characters, lone surrogates, YAML and JSON specials or template syntax,
 * deep nesting, big arrays, and plain wrong types.
 */
import type { Random } from './budget';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const HOSTILE_NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  0.5,
  2.5,
  -2.5,
  3.0000000001,
  999,
  1000,
  1001,
  65535,
  65536,
  2147483647,
  2147483648,
  -2147483648,
  4294967296,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER,
  1e21,
  1e308,
  -1e308,
  5e-324,
];

/** Strings that mean something to YAML, JSON, shells, Kafka's configs or kafka-warden's templates. */
const SPECIAL_STRINGS: readonly string[] = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  'true',
  'false',
  'null',
  '~',
  'yes',
  'off',
  '0x1F',
  '0o17',
  '1_000',
  '12:30:00',
  '.inf',
  '-.nan',
  '<<',
  '*alias',
  '&anchor',
  '!!binary',
  '---',
  '...',
  '- item',
  'key: value',
  '# comment',
  '{id}',
  '{cluster}',
  '{namespace}{statefulSet}{serviceName}',
  '${HOME}',
  '$(id)',
  '`id`',
  '"; exit 1; "',
  "' || true",
  '\\',
  '%s%s%n',
  '../../../../etc/passwd',
  'PLAINTEXT://:9092,SSL://:9093',
  'SSL:SSL,PLAINTEXT:PLAINTEXT',
  'confluentinc/cp-enterprise-kafka:6.1.0',
  'confluentinc/cp-zookeeper:6.1.0',
  'cp-kafka-broker',
  'cp-zookeeper-server',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'kafka-warden.io/status',
  '{"version":1}',
  '{"version":1,"role":"kafka","containers":5}',
];

const UNICODE_PIECES: readonly string[] = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200e',
  '\u202e',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\ufffe',
  '\ud800',
  '\udfff',
  '\ud83d\ude00',
  'e\u0301\u0301\u0301',
  'ß',
  'İ',
  'ǅ',
  '中文',
  'עברית',
  '𝕂𝕒𝕗𝕜𝕒',
];

/** A string of about `length` characters built from special pieces (or one repeated character). */
export function hostileString(rng: Random, maxLength: number): string {
  const roll = rng.int(4);
  if (roll === 0) return rng.pick(SPECIAL_STRINGS);
  const length = 1 + rng.int(Math.max(1, maxLength));
  if (roll === 1) return rng.pick(['a', 'x', '9', ' ', '\n', '{', '\u00e9']).repeat(length);
  let text = '';
  while (text.length < length) {
    text += rng.chance(0.5) ? rng.pick(UNICODE_PIECES) : rng.pick(SPECIAL_STRINGS);
  }
  return text.slice(0, length);
}

/** Nesting `depth` levels of arrays or objects around a scalar. Built iteratively. */
export function deepValue(rng: Random, depth: number): Json {
  const useArrays = rng.chance(0.5);
  let value: Json = rng.pick(['bottom', 1, null]);
  for (let i = 0; i < depth; i++) value = useArrays ? [value] : { a: value };
  return value;
}

/** Depths around the server's bound (100 below the review) and far past V8's stack. */
export const DEPTHS: readonly number[] = [20, 50, 90, 97, 98, 99, 100, 101, 102, 150, 1000, 3000];

export function bigArray(rng: Random, sample: Json, maxItems: number): Json[] {
  // Copies of a big sample (a whole container) would make bodies of 100 MB, all of it past the
  // server's limit and slow to build: a few KB per item at most.
  const sampleBytes = sample !== null && typeof sample === 'object' ? textLength(sample) : 0;
  const count = 1 + rng.int(sampleBytes > 100 ? Math.min(maxItems, 1000) : maxItems);
  const kind = rng.int(3);
  if (kind === 0) return Array.from({ length: count }, (_, i) => i);
  if (kind === 1) return Array.from({ length: count }, () => sample);
  return Array.from({ length: count }, (_, i) => `item-${i}`);
}

function textLength(value: Json): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    // Nested past what JSON.stringify's recursion takes: big.
    return Infinity;
  }
}

/** A value of any type, hostile where it can be; strings up to `maxString` characters. */
export function hostileValue(rng: Random, sample: Json, maxString: number): Json {
  switch (rng.int(9)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
    case 3:
      return rng.pick(HOSTILE_NUMBERS);
    case 4:
    case 5:
      return hostileString(rng, maxString);
    case 6:
      return rng.chance(0.5) ? [] : {};
    case 7:
      return rng.chance(0.5) ? [sample, sample] : { value: sample };
    default: {
      // A scalar as text (3 → "3"): the type confusion a template's missing quotes make.
      const text = sample !== null && typeof sample === 'object' ? 'object' : String(sample);
      return rng.chance(0.5) ? text : [text];
    }
  }
}
