/**
 * The scalar rules of YAML 1.1 as go-yaml v2 applies them, which is how Helm and the API server read
 * manifests: `yes`/`on`/`y` are booleans, `0644` is octal (420), `08` is a float, timestamps stay
 * strings. js-yaml reads and writes with them (YAML11_SCHEMA), and so do the fast reader and writer
 * (yaml11-fast-read.ts, yaml11-fast-write.ts), which call the same functions.
 */
import { FAILSAFE_SCHEMA, Type, type Schema } from 'js-yaml';

// Maps, not object literals: a plain scalar such as `constructor` or `__proto__` must not find an
// inherited property and read as a function or an object.
const BOOLEANS = new Map<string, boolean>();
for (const [words, value] of [
  [['y', 'yes', 'true', 'on'], true],
  [['n', 'no', 'false', 'off'], false],
] as const) {
  for (const word of words) {
    for (const form of [word, (word[0] ?? '').toUpperCase() + word.slice(1), word.toUpperCase()])
      BOOLEANS.set(form, value);
  }
}
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || NULLS.has(data),
  construct: () => null,
  predicate: (object: unknown) => object === null,
  represent: () => 'null',
});

const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && BOOLEANS.has(data),
  construct: (data: string) => BOOLEANS.get(data),
  predicate: (object: unknown) => typeof object === 'boolean',
  represent: (object: object) => ((object as unknown as boolean) ? 'true' : 'false'),
});

const INT = /^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o[0-7_]+|0[0-7_]+|0|[1-9][0-9_]*)$/;
const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) =>
    data !== null && INT.test(data) && !/^[-+]?0[0-7_]*_$/.test(data),
  construct: (data: string) => {
    const text = data.replaceAll('_', '');
    const sign = text.startsWith('-') ? -1 : 1;
    const digits = text.replace(/^[-+]/, '');
    if (/^0b/.test(digits)) return sign * parseInt(digits.slice(2), 2);
    if (/^0x/.test(digits)) return sign * parseInt(digits.slice(2), 16);
    if (/^0o/.test(digits)) return sign * parseInt(digits.slice(2), 8);
    if (/^0[0-7]+$/.test(digits)) return sign * parseInt(digits.slice(1), 8);
    return sign * parseInt(digits, 10);
  },
  predicate: isYamlInt,
  // js-yaml types the represented value as `object`; the predicate above guarantees a number.
  represent: (object: object) => representInt(object as unknown as number),
});

export function isYamlInt(object: unknown): boolean {
  return typeof object === 'number' && Number.isInteger(object) && !Object.is(object, -0);
}

export function representInt(value: number): string {
  return value.toFixed(0);
}

const FLOAT = /^[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$/;
const SPECIAL_FLOATS = new Map<string, number>([
  ['.inf', Infinity],
  ['.Inf', Infinity],
  ['.INF', Infinity],
  ['+.inf', Infinity],
  ['+.Inf', Infinity],
  ['+.INF', Infinity],
  ['-.inf', -Infinity],
  ['-.Inf', -Infinity],
  ['-.INF', -Infinity],
  ['.nan', NaN],
  ['.NaN', NaN],
  ['.NAN', NaN],
]);
const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (FLOAT.test(data) || SPECIAL_FLOATS.has(data)),
  construct: (data: string) => SPECIAL_FLOATS.get(data) ?? parseFloat(data.replaceAll('_', '')),
  predicate: (object: unknown) => typeof object === 'number',
  represent: (object: object) => representFloat(object as unknown as number),
});

export function representFloat(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  const text = String(value);
  // "1e+21" reads back as a float in YAML 1.1 only with a dot or exponent: keep it unambiguous.
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/** `<<` merge keys, which go-yaml v2 honours too. */
const mergeType = new Type('tag:yaml.org,2002:merge', {
  kind: 'scalar',
  resolve: (data: string | null) => data === '<<',
});

/** In js-yaml's order of trying them: a string any of them resolves must be quoted. */
export const IMPLICIT_TYPES = [nullType, boolType, intType, floatType, mergeType];

/**
 * Every text an implicit type resolves starts with one of these (or is empty, a null): `~` and the
 * first letters of null and the booleans (y, yes, n, no, true, false, on, off, in three cases),
 * signs, dots and digits of numbers, `<` of `<<`. Most plain scalars in a manifest are words that
 * start with another letter, and need no type tried.
 */
const NON_STRING_STARTS = new Set('~nNyYtTfFoO+-.0123456789<');

/** What js-yaml's implicit types make of a plain scalar, tried in js-yaml's order. */
export function resolvePlainScalar(text: string): unknown {
  if (text !== '' && !NON_STRING_STARTS.has(text[0] as string)) return text;
  for (const type of IMPLICIT_TYPES) {
    if (type.resolve(text)) return type.construct(text) as unknown;
  }
  return text;
}

/** Whether a plain scalar with this text would read as something else than this string. */
export function readsAsNonString(text: string): boolean {
  if (text !== '' && !NON_STRING_STARTS.has(text[0] as string)) return false;
  return IMPLICIT_TYPES.some((type) => type.resolve(text));
}

export const YAML11_SCHEMA: Schema = FAILSAFE_SCHEMA.extend({ implicit: IMPLICIT_TYPES });
