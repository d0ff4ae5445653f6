/**
 * The post-renderer reads every document of the release to validate it and to find the Kafka
 * workloads, and js-yaml's reader, which steps through the text a character at a time, is most of
 * that time in a process that runs once and never warms up (bench/README.md). This reads the block
 * YAML Helm emits a line at a time and builds the same value js-yaml builds with loadYaml11's schema
 * (yaml11.ts): block mappings and sequences, plain and single-line quoted scalars, literal block
 * scalars, `{}` and flow sequences of simple scalars, comments. At anything else (anchors, tags,
 * other flow collections, folded or multi-line scalars, rare escapes, tabs, characters outside
 * printable ASCII, duplicate or merge keys, deep nesting, an empty `-` entry followed by a less
 * indented one, anything malformed) it gives up (undefined) and js-yaml reads the document, with
 * js-yaml's error messages for bad input. test/unit/manifests/yaml11-fast.test.ts holds the two to
 * equal values over every document of the chart renders and over generated and corrupted documents.
 */
import { resolvePlainScalar } from './yaml11-scalars';

/**
 * Thrown, and caught below, at anything this reader does not handle. One instance, made once:
 * giving up must cost little, and a new Error would capture a stack each time.
 */
const GIVE_UP = new Error('outside what the fast YAML reader handles');

const OUTSIDE_PRINTABLE_ASCII = /[^\x20-\x7e\n]/;
const DOCUMENT_START = /^--- *$/;
const DOCUMENT_END = /^\.\.\.(?: |$)/;
/**
 * A mapping key and its `:`: plain (no indicator first, no space or `#` inside; a plain `-` or `?`
 * first is valid YAML but left to js-yaml), or quoted without escapes.
 */
const KEY = /^(?:([^\s\-?:,[\]{}#&*!|>'"%@`][^\s#]*?)|'([^']*)'|"([^"\\]*)") *:(?: +|$)/;
/** What may follow a scalar on its line: spaces, then a comment. */
const LINE_END = /^(?: +(?:#.*)?)?$/;
const BLOCK_SCALAR_HEADER = /^\|([-+]?)(?: +(?:#.*)?)?$/;
/** A double-quoted scalar on one line, with the common escapes only. */
const DOUBLE_QUOTED = /^"((?:[^"\\]|\\["\\/ntr0])*)"/;
const ESCAPES = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['n', '\n'],
  ['t', '\t'],
  ['r', '\r'],
  ['0', '\0'],
]);
/** `{}`, or a flow sequence of quoted or simple plain scalars (`[ "ReadWriteOnce" ]`). */
const FLOW_ITEM = String.raw`"[^"\\]*"|'[^']*'|[A-Za-z0-9_][\w./-]*`;
const FLOW = new RegExp(
  String.raw`^(?:\{\}|\[ *((?:${FLOW_ITEM})(?: *, *(?:${FLOW_ITEM}))*)? *\])(?: +(?:#.*)?)?$`,
);
const FLOW_ITEMS = new RegExp(FLOW_ITEM, 'g');

/**
 * js-yaml refuses a document nested deeper than 100 nodes (its maxDepth, keys and scalars
 * counted); well below that, this reader leaves deep documents to js-yaml to refuse or read.
 */
const DEEPEST_COLLECTION = 48;

interface Reader {
  lines: string[];
  /** The first line not yet read. */
  next: number;
  /** Block collections open around the one being read. */
  depth: number;
}

/** loadYaml11's value for `text`, or undefined where the text is outside this reader's reach. */
export function readYaml11Fast(text: string): unknown {
  if (OUTSIDE_PRINTABLE_ASCII.test(text)) return undefined;
  const reader: Reader = { lines: text.split('\n'), next: 0, depth: 0 };
  try {
    let first = nextContentLine(reader);
    if (first >= 0 && reader.lines[first]?.startsWith('---')) {
      if (!DOCUMENT_START.test(reader.lines[first] as string)) return undefined;
      reader.next = first + 1;
      first = nextContentLine(reader);
    }
    // A document that is empty, or not a mapping at the margin, is js-yaml's to read.
    if (first < 0 || indentOf(reader.lines[first] as string) !== 0) return undefined;
    const value = readMapping(reader, 0, undefined);
    return nextContentLine(reader) < 0 ? value : undefined;
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
}

function indentOf(line: string): number {
  let indent = 0;
  while (line.charCodeAt(indent) === 32) indent++;
  return indent;
}

/** The next line from `reader.next` that holds more than spaces and a comment, or -1. */
function nextContentLine(reader: Reader): number {
  for (let index = reader.next; index < reader.lines.length; index++) {
    const line = reader.lines[index] as string;
    const indent = indentOf(line);
    if (indent < line.length && line.charCodeAt(indent) !== 35 /* # */) return index;
  }
  return -1;
}

/**
 * The next content line when it stands at column `indent`; -1 at the end or at a lesser column,
 * where the collection being read ends. A deeper line is malformed there.
 */
function nextLineAt(reader: Reader, indent: number): number {
  const index = nextContentLine(reader);
  if (index < 0) return -1;
  const lineIndent = indentOf(reader.lines[index] as string);
  if (lineIndent > indent) throw GIVE_UP;
  return lineIndent < indent ? -1 : index;
}

/** Nothing after `key:` or `-` but a comment: the value is on the lines below, or null. */
function isEmptyValue(rest: string): boolean {
  return rest === '' || rest.charCodeAt(0) === 35; /* # */
}

function isSequenceEntry(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/**
 * A block mapping whose keys stand at column `indent`. `firstEntry` is the rest of a line already
 * read whose first key stands at that column (`- key: value` in a sequence).
 */
function readMapping(
  reader: Reader,
  indent: number,
  firstEntry: string | undefined,
): Record<string, unknown> {
  if (++reader.depth > DEEPEST_COLLECTION) throw GIVE_UP;
  const mapping: Record<string, unknown> = {};
  let entry = firstEntry;
  for (;;) {
    if (entry === undefined) {
      const index = nextLineAt(reader, indent);
      if (index < 0) break;
      entry = (reader.lines[index] as string).slice(indent);
      reader.next = index + 1;
    }
    // `...` at the margin ends the document (js-yaml then refuses what follows).
    if (indent === 0 && DOCUMENT_END.test(entry)) throw GIVE_UP;
    const key = KEY.exec(entry);
    if (key === null) throw GIVE_UP;
    const name = key[1] !== undefined ? mappingKey(key[1]) : ((key[2] ?? key[3]) as string);
    // js-yaml refuses a duplicate key, treats `<<` as a merge and `__proto__` with care.
    if (Object.hasOwn(mapping, name) || name === '__proto__' || key[1] === '<<') throw GIVE_UP;
    mapping[name] = readValue(reader, entry.slice(key[0].length), indent, true);
    entry = undefined;
  }
  reader.depth--;
  return mapping;
}

/** A plain key means what the same plain scalar means, as text: `0644` is the key `420`. */
function mappingKey(text: string): string {
  return String(resolvePlainScalar(text));
}

/** A block sequence whose `-` stand at column `indent`. */
function readSequence(reader: Reader, indent: number): unknown[] {
  if (++reader.depth > DEEPEST_COLLECTION) throw GIVE_UP;
  const sequence: unknown[] = [];
  for (;;) {
    const index = nextLineAt(reader, indent);
    if (index < 0) break;
    const text = (reader.lines[index] as string).slice(indent);
    // The next key of a mapping this sequence is a value of, at the same column.
    if (!isSequenceEntry(text)) break;
    reader.next = index + 1;
    const rest = text.slice(1).trimStart();
    if (rest === '-' || rest.startsWith('- ')) throw GIVE_UP;
    if (KEY.test(rest)) {
      sequence.push(readMapping(reader, indent + text.length - rest.length, rest));
      continue;
    }
    if (isEmptyValue(rest)) {
      // After an empty entry, js-yaml takes the next `-` line at any lesser column as this
      // sequence's next entry, not as the enclosing sequence's.
      const after = nextContentLine(reader);
      if (after >= 0) {
        const next = reader.lines[after] as string;
        const nextIndent = indentOf(next);
        if (nextIndent < indent && isSequenceEntry(next.slice(nextIndent))) throw GIVE_UP;
      }
    }
    sequence.push(readValue(reader, rest, indent, false));
  }
  reader.depth--;
  return sequence;
}

/**
 * The value whose text `rest` follows a `key:` or a `-` on its line; a nested block when `rest` is
 * empty. Nested blocks stand deeper than `parentIndent`, or at it for a sequence that is a mapping's
 * value (`inMapping`).
 */
function readValue(
  reader: Reader,
  rest: string,
  parentIndent: number,
  inMapping: boolean,
): unknown {
  if (isEmptyValue(rest)) {
    const index = nextContentLine(reader);
    if (index < 0) return null;
    const line = reader.lines[index] as string;
    const lineIndent = indentOf(line);
    const text = line.slice(lineIndent);
    if (lineIndent > parentIndent) {
      if (text.startsWith('{') || text.startsWith('[')) {
        reader.next = index + 1;
        return readFlow(text);
      }
      return isSequenceEntry(text)
        ? readSequence(reader, lineIndent)
        : readMapping(reader, lineIndent, undefined);
    }
    if (inMapping && lineIndent === parentIndent && isSequenceEntry(text)) {
      return readSequence(reader, lineIndent);
    }
    return null;
  }
  switch (rest.charCodeAt(0)) {
    case 39 /* ' */: {
      let close = rest.indexOf("'", 1);
      while (close >= 0 && rest.charCodeAt(close + 1) === 39) close = rest.indexOf("'", close + 2);
      if (close < 0 || !LINE_END.test(rest.slice(close + 1))) throw GIVE_UP;
      return rest.slice(1, close).replaceAll("''", "'");
    }
    case 34 /* " */: {
      const quoted = DOUBLE_QUOTED.exec(rest);
      if (quoted === null || !LINE_END.test(rest.slice(quoted[0].length))) throw GIVE_UP;
      const content = quoted[1] as string;
      return content.includes('\\')
        ? content.replace(/\\(.)/g, (_, escape: string) => ESCAPES.get(escape) as string)
        : content;
    }
    case 124 /* | */: {
      const header = BLOCK_SCALAR_HEADER.exec(rest);
      if (header === null) throw GIVE_UP;
      return readLiteral(reader, parentIndent, header[1] as '' | '-' | '+');
    }
    case 123 /* { */:
    case 91 /* [ */:
      return readFlow(rest);
  }
  return resolvePlainScalar(plainText(rest));
}

function readFlow(text: string): unknown {
  const flow = FLOW.exec(text);
  if (flow === null) throw GIVE_UP;
  if (text.startsWith('{')) return {};
  const items = flow[1];
  if (items === undefined) return [];
  return Array.from(items.matchAll(FLOW_ITEMS), ([item]) => {
    const quote = item.charCodeAt(0);
    return quote === 34 || quote === 39 ? item.slice(1, -1) : resolvePlainScalar(item);
  });
}

/** The text of a plain scalar that is the rest of a line, without its comment. */
function plainText(rest: string): string {
  const first = rest.charCodeAt(0);
  // Indicators that start something else (or an error) in YAML: `&*!%@` and backquote, `>` (folded
  // scalars), `,]}`, and `-`, `?`, `:` before a space or at the end.
  if ('&*!%@`>,]}:'.includes(rest[0] as string)) throw GIVE_UP;
  if ((first === 45 /* - */ || first === 63) /* ? */ && (rest.length === 1 || rest[1] === ' '))
    throw GIVE_UP;
  const comment = rest.indexOf(' #');
  const text = (comment < 0 ? rest : rest.slice(0, comment)).trimEnd();
  // `: ` or a final `:` would make a mapping key of it: an error here.
  if (text.includes(': ') || text.endsWith(':')) throw GIVE_UP;
  return text;
}

/**
 * A literal block scalar under a line at `parentIndent`: its lines stand deeper, at the column of
 * the first one; `chomping` is its header's indicator. Lines of only spaces before the first line
 * (which would set the column), an empty scalar, and a scalar that ends the text without a line
 * break are left to js-yaml.
 */
function readLiteral(reader: Reader, parentIndent: number, chomping: '' | '-' | '+'): string {
  const content: string[] = [];
  let blockIndent = -1;
  let index = reader.next;
  for (; index < reader.lines.length; index++) {
    const line = reader.lines[index] as string;
    const indent = indentOf(line);
    if (indent === line.length) {
      if (blockIndent < 0 && indent > 0) throw GIVE_UP;
      // Spaces up to the block's column are indentation; more are content.
      content.push(line.slice(blockIndent < 0 ? 0 : blockIndent));
      continue;
    }
    if (blockIndent < 0) {
      if (indent <= parentIndent) break;
      blockIndent = indent;
    } else if (indent < blockIndent) break;
    content.push(line.slice(blockIndent));
  }
  if (blockIndent < 0) throw GIVE_UP;
  const atEnd = index === reader.lines.length;
  // The text's final line break leaves an empty last line that is not a line of the scalar.
  if (atEnd && reader.lines[index - 1] !== '') throw GIVE_UP;
  reader.next = index;
  let end = content.length;
  while (content[end - 1] === '') end--;
  const text = content.slice(0, end).join('\n');
  if (chomping === '-') return text;
  if (chomping === '') return `${text}\n`;
  const emptyLines = content.length - end - (atEnd ? 1 : 0);
  return `${text}\n${'\n'.repeat(emptyLines)}`;
}
