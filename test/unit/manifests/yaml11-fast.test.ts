/**
 * The fast YAML reader and writer (src/manifests/yaml11-fast-read.ts, yaml11-fast-write.ts) are
 * only allowed to be faster: whatever they take, they must read and write exactly as js-yaml does
 * with kafka-warden's schema. These tests hold them to that over the real chart renders, the golden
 * outputs, and many generated and corrupted documents.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isBlankDocument, splitDocuments } from '../../../src/manifests/split-documents';
import {
  dumpYaml11,
  dumpYaml11WithJsYaml,
  loadYaml11,
  loadYaml11WithJsYaml,
} from '../../../src/manifests/yaml11';
import { readYaml11Fast } from '../../../src/manifests/yaml11-fast-read';
import { writeYaml11Fast } from '../../../src/manifests/yaml11-fast-write';
import { goldenCases } from '../../golden/cases';
import { CHART_VERSIONS, sharedDir } from '../../support/paths';
import { seededRandom } from '../../support/seeded-random';

/** Seeded, so a failure reproduces. */
function generator(seed: number) {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, pick };
}
type Random = ReturnType<typeof generator>;

// Pieces that hit YAML's and js-yaml's rules: indicators, `: ` and ` #`, YAML 1.1 booleans, nulls,
// numbers in every base, base-60, merge keys, line feeds (block scalars), leading and trailing
// spaces, quotes and escapes, and characters outside printable ASCII (which the fast paths leave to
// js-yaml).
const PIECES = [
  'a',
  'kafka',
  'Z',
  '0',
  '7',
  '9',
  '08',
  '0644',
  '0x1F',
  '0o7',
  '0b1',
  '1_000',
  '1e3',
  '.5',
  '.inf',
  '.NaN',
  '-',
  '+',
  '.',
  '_',
  ':',
  ': ',
  ' #',
  '#',
  ' ',
  '  ',
  '\n',
  '\n\n',
  "'",
  '"',
  'y',
  'N',
  'yes',
  'Off',
  'on',
  'true',
  'False',
  '~',
  'null',
  'Null',
  '<<',
  '|',
  '>',
  '&',
  '*',
  '!',
  '%',
  '@',
  '`',
  '{',
  '}',
  '[',
  ']',
  ',',
  '?',
  '=',
  '1:20',
  '190:20:30.5',
  '\t',
  'é',
  '\r',
  '\\',
  '\\n',
  '\u2028',
  '\u007f',
  '__proto__',
  'x'.repeat(1030),
] as const;

function makeString(random: Random): string {
  const count = Math.floor(random.next() * 4);
  let text = '';
  for (let i = 0; i < count; i++) text += random.pick(PIECES);
  return text;
}

function makeValue(random: Random, depth: number): unknown {
  const roll = random.next();
  if (depth >= 4 || roll < 0.45) {
    const scalar = random.next();
    if (scalar < 0.7) return makeString(random);
    if (scalar < 0.8) return random.pick([0, 1, -3, 420, 1.5, -0, 1e21, 2 ** 53, NaN, Infinity]);
    if (scalar < 0.9) return random.next() < 0.5;
    return random.next() < 0.8 ? null : undefined;
  }
  const size = Math.floor(random.next() * 4);
  if (roll < 0.7) return Array.from({ length: size }, () => makeValue(random, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) object[makeString(random)] = makeValue(random, depth + 1);
  return object;
}

/** The same value, keys in the same order (isDeepStrictEqual ignores key order). */
function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b) && JSON.stringify(a) === JSON.stringify(b);
}

/** js-yaml's value, or the error it throws. */
function jsYamlRead(text: string): { value: unknown } | { error: unknown } {
  try {
    return { value: loadYaml11WithJsYaml(text) };
  } catch (error) {
    return { error };
  }
}

/**
 * Whether the fast reader took `text`; where it did, the test fails unless js-yaml reads the same
 * value from it.
 */
function tookAsJsYamlDoes(text: string): boolean {
  const fast = readYaml11Fast(text);
  if (fast === undefined) return false;
  const expected = jsYamlRead(text);
  if (!('value' in expected) || !sameValue(fast, expected.value)) {
    expect({ text, fast }).toEqual({ text, fast: expected });
  }
  return true;
}

/** Every manifest document kafka-warden is tested on: the chart renders and the golden outputs. */
function realDocuments(): { origin: string; text: string }[] {
  const files: string[] = [];
  const rendered = path.join(sharedDir(), 'cp-helm-charts', 'rendered');
  for (const version of CHART_VERSIONS) {
    for (const file of readdirSync(path.join(rendered, version)).sort())
      files.push(path.join(rendered, version, file));
  }
  for (const golden of goldenCases()) files.push(golden.expected);
  return files.flatMap((file) =>
    splitDocuments(readFileSync(file, 'utf8'))
      .filter((document) => !isBlankDocument(document.text))
      .map((document) => ({ origin: `${file}:${document.line}`, text: document.text })),
  );
}

describe('the fast YAML reader reads what js-yaml reads', () => {
  const documents = realDocuments();

  test('every document of the chart renders and golden outputs, without falling back', () => {
    expect(documents.length).toBeGreaterThan(1000);
    const differing = documents.filter(({ text }) => {
      const fast = readYaml11Fast(text);
      return fast === undefined || !sameValue(fast, loadYaml11WithJsYaml(text));
    });
    expect(differing.map((d) => d.origin)).toEqual([]);
  });

  test('generated documents: the same value whenever the fast reader takes them', () => {
    const random = generator(1127);
    let taken = 0;
    const total = 20000;
    for (let i = 0; i < total; i++) {
      const value = {
        key: makeValue(random, 0),
        [makeString(random) || 'k']: makeValue(random, 1),
      };
      const text = `---\n# Source: generated\n${dumpYaml11WithJsYaml(value)}`;
      if (tookAsJsYamlDoes(text)) taken++;
    }
    expect(taken / total).toBeGreaterThan(0.3);
  });

  test('generated double-quoted scalars, escapes and all: the same value whenever taken', () => {
    const random = generator(42);
    let taken = 0;
    const total = 5000;
    for (let i = 0; i < total; i++) {
      // JSON strings are YAML double-quoted scalars: \n \t \" \\ and \u escapes among them.
      const lines = Array.from(
        { length: 4 },
        (_, k) => `k${k}: ${JSON.stringify(makeString(random))}`,
      );
      const text = `${lines.join('\n')}\n`;
      if (tookAsJsYamlDoes(text)) taken++;
    }
    expect(taken / total).toBeGreaterThan(0.3);
  });

  // Edits that make valid YAML invalid, or valid in another way: indentation, indicators, quotes,
  // tabs, duplicate and swapped lines, comments, whitespace-only lines, block scalar headers.
  const EDITS = [
    ' ',
    '  ',
    '- ',
    ': ',
    ' #',
    '#',
    "'",
    '"',
    '\t',
    '|',
    '|-',
    '|+',
    '|2',
    '>',
    '&a ',
    '*a',
    '!!str ',
    '{',
    '[',
    ']',
    ',',
    '? ',
    '---',
    '...',
    '<<: ',
    'key: ',
    'x',
    '\\',
    'é',
    '%',
  ] as const;

  function corrupt(text: string, random: Random): string {
    const lines = text.split('\n');
    for (let edits = 1 + Math.floor(random.next() * 3); edits > 0; edits--) {
      const at = Math.floor(random.next() * lines.length);
      const line = lines[at] as string;
      const column = Math.floor(random.next() * (line.length + 1));
      switch (Math.floor(random.next() * 7)) {
        case 0:
          lines[at] = line.slice(0, column) + random.pick(EDITS) + line.slice(column);
          break;
        case 1:
          lines[at] = line.slice(0, column) + line.slice(column + 1);
          break;
        case 2:
          lines[at] = line.startsWith(' ') ? line.slice(1) : ` ${line}`;
          break;
        case 3:
          lines.splice(at, 0, line);
          break;
        case 4:
          lines.splice(at, 2, lines[at + 1] ?? '', line);
          break;
        case 5:
          lines.splice(at, 0, ' '.repeat(Math.floor(random.next() * 12)));
          break;
        default:
          lines[at] = random.pick(EDITS) + line.trimStart();
      }
    }
    return lines.join('\n');
  }

  test('corrupted documents: nothing js-yaml refuses, and the same value for the rest', () => {
    const random = generator(20261127);
    const small = documents.filter((d) => d.text.length < 6000);
    let taken = 0;
    let refusedByJsYaml = 0;
    const total = 6000;
    for (let i = 0; i < total; i++) {
      const text = corrupt(random.pick(small).text, random);
      if ('error' in jsYamlRead(text)) refusedByJsYaml++;
      if (tookAsJsYamlDoes(text)) taken++;
    }
    // Both outcomes are exercised: corruptions js-yaml refuses, and ones the fast reader takes.
    expect(refusedByJsYaml / total).toBeGreaterThan(0.2);
    expect(taken / total).toBeGreaterThan(0.2);
  });

  test('what the fast reader leaves to js-yaml still comes out of loadYaml11', () => {
    for (const text of [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: >\n  folded\n',
      'a: "multi\n  line"\n',
      'a:\tb\n',
      'a: é\n',
      '- top-level sequence\n',
      'a: 1\na: 2\n',
      'key: - a\n',
      'key: -\n',
      'key: ? a\n',
      '- - a\n',
      'key: a\n  b\n',
      'a:\n  - b\n   - c\n',
      'a: "\\u00e9"\n',
      // js-yaml takes the `- y` as the inner sequence's second entry, after the empty one.
      'a:\n  -\n    -\n  - y\n',
      'x:\n  - a:\n    - # empty\n  - y\n',
      'a:\n  -\n    -\n  - |\n    x\n',
      // `...` at the margin ends the document.
      'a: 1\n... : 1\n',
      '... : 1\n',
      // Deeper than js-yaml's maxDepth (100), and deep enough for the reader to leave to js-yaml.
      Array.from({ length: 101 }, (_, depth) => `${' '.repeat(depth)}a:`).join('\n'),
      `x:\n${Array.from({ length: 50 }, (_, depth) => `${'  '.repeat(depth)}- a:`).join('\n')}\n`,
    ]) {
      expect(readYaml11Fast(text)).toBeUndefined();
      const expected = jsYamlRead(text);
      if ('value' in expected) expect(loadYaml11(text)).toEqual(expected.value);
      else expect(() => loadYaml11(text)).toThrow((expected.error as Error).message);
    }
  });
});

describe('the fast YAML writer writes what js-yaml writes', () => {
  test.each(goldenCases().map((c) => [c.name, c.expected] as const))(
    'every object of the golden output %s, byte for byte, without falling back',
    (_name, expectedFile) => {
      const documents = splitDocuments(readFileSync(expectedFile, 'utf8')).filter(
        (document) => !isBlankDocument(document.text),
      );
      expect(documents.length).toBeGreaterThan(0);
      for (const document of documents) {
        const object = loadYaml11(document.text);
        expect(writeYaml11Fast(object)).toBe(dumpYaml11WithJsYaml(object));
      }
    },
  );

  test('generated values: the same bytes whenever the fast writer takes them', () => {
    const random = generator(20261127);
    let taken = 0;
    const total = 20000;
    for (let i = 0; i < total; i++) {
      const value = makeValue(random, 0);
      const fast = writeYaml11Fast(value);
      if (fast === undefined) continue;
      taken++;
      if (fast !== dumpYaml11WithJsYaml(value)) {
        // Shows the value that differs, not just two strings.
        expect({ value, fast }).toEqual({ value, fast: dumpYaml11WithJsYaml(value) });
      }
    }
    // The comparison means something only if the fast writer takes most values.
    expect(taken / total).toBeGreaterThan(0.6);
  });

  test('what the fast writer leaves to js-yaml still comes out of dumpYaml11', () => {
    for (const value of [
      { tab: 'a\tb' },
      { 'a\nkey': 1 },
      'é\n',
      { long: { ['k'.repeat(1025)]: 1 } },
    ]) {
      expect(writeYaml11Fast(value)).toBeUndefined();
      expect(dumpYaml11(value)).toBe(dumpYaml11WithJsYaml(value));
    }
    // And what js-yaml refuses, it still refuses.
    expect(writeYaml11Fast({ when: new Date(0) })).toBeUndefined();
    expect(() => dumpYaml11({ when: new Date(0) })).toThrow('unacceptable kind of an object');
  });
});
