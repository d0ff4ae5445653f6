/**
 * The post-renderer writes every document it changes, and js-yaml's writer, which tests every
 * character of every string through several functions, is most of that time in a process that
 * runs once and never warms up (bench/README.md). This writes the same bytes as js-yaml with
 * dumpYaml11's options (yaml11.ts) for the values kafka-warden writes: mappings, sequences,
 * numbers, booleans, null, and strings of printable ASCII and line feeds. For anything else it gives
 * up (undefined) and js-yaml writes the document. test/unit/manifests/yaml11-fast.test.ts holds the two to byte
 * equality over every golden object and over generated values made to hit the quoting rules.
 */
import { isYamlInt, readsAsNonString, representFloat, representInt } from './yaml11-scalars';

/** js-yaml's compatibility mode quotes these (YAML 1.1 booleans and base-60 numbers). */
const YAML11_COMPAT_BOOLEANS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
for (const word of ['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'])
  YAML11_COMPAT_BOOLEANS.add(word);
const YAML11_COMPAT_BASE60 = /^[-+]?[0-9_]+(?::[0-9_]+)+(?:\.[0-9_]*)?$/;

const PRINTABLE_LINE = /^[\x20-\x7e]*$/;
const PRINTABLE_LINES = /^[\x20-\x7e\n]*$/;
/**
 * A plain scalar in block context: no indicator first, no space or `:` last, and no ` #` or `: `
 * inside (YAML 1.2 ns-plain-char, as js-yaml's isPlainSafe applies it).
 */
const PLAIN = /^(?![ \-?:,[\]{}#&*!|=>'"%@`])(?!.*(?: #|: ))[\x20-\x7e]*[^ :]$/;
const LEADING_SPACE = /^\n* /;
/** js-yaml writes a key whose text is longer than this as an explicit `? key` pair. */
const LONGEST_IMPLICIT_KEY = 1024;

/**
 * Thrown, and caught below, when a value is outside what this writer handles. One instance, made
 * once: giving up is routine, and a new Error would capture a stack each time.
 */
const GIVE_UP = new Error('outside what the fast YAML writer handles');

/** js-yaml's output (dumpYaml11WithJsYaml), or undefined where the value is outside this writer's reach. */
export function writeYaml11Fast(value: unknown): string | undefined {
  try {
    return `${writeNode(value, 0, true)}\n`;
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
}

function writeNode(value: unknown, level: number, compact: boolean): string {
  if (typeof value === 'string') return writeString(value, level, false);
  // As js-yaml's types represent them (the int type is tried before the float type).
  if (typeof value === 'number')
    return isYamlInt(value) ? representInt(value) : representFloat(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    let out = '';
    for (const item of value) {
      const text = writeNode(item === undefined ? null : item, level + 1, true);
      if (!compact || out !== '') out += `\n${'  '.repeat(level)}`;
      out += text.charCodeAt(0) === 10 ? `-${text}` : `- ${text}`;
    }
    return out;
  }
  if (Object.prototype.toString.call(value) !== '[object Object]') throw GIVE_UP;
  const object = value as Record<string, unknown>;
  let out = '';
  for (const key of Object.keys(object)) {
    const item = object[key];
    if (item === undefined) continue;
    const keyText = writeString(key, level + 1, true);
    if (keyText.length > LONGEST_IMPLICIT_KEY) throw GIVE_UP;
    if (!compact || out !== '') out += `\n${'  '.repeat(level)}`;
    const text = writeNode(item, level + 1, false);
    out += `${keyText}${text.charCodeAt(0) === 10 ? ':' : ': '}${text}`;
  }
  return out === '' ? '{}' : out;
}

function writeString(text: string, level: number, isKey: boolean): string {
  if (text === '') return "''";
  if (YAML11_COMPAT_BOOLEANS.has(text) || YAML11_COMPAT_BASE60.test(text)) return `'${text}'`;
  if (PRINTABLE_LINE.test(text)) {
    if (PLAIN.test(text) && !readsAsNonString(text)) return text;
    return `'${text.replaceAll("'", "''")}'`;
  }
  if (isKey || !PRINTABLE_LINES.test(text)) throw GIVE_UP;
  // A literal block scalar, with js-yaml's header: an indentation indicator when the text starts
  // with a space, and the chomping that keeps its trailing line feeds.
  const clip = text.endsWith('\n');
  const keep = clip && (text.endsWith('\n\n') || text === '\n');
  const header = `|${LEADING_SPACE.test(text) ? '2' : ''}${keep ? '+' : clip ? '' : '-'}`;
  const indent = '  '.repeat(Math.max(1, level));
  let body = '';
  for (const line of (clip ? text.slice(0, -1) : text).split('\n'))
    body += line === '' ? '\n' : `\n${indent}${line}`;
  return header + body;
}
