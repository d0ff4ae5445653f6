import { readFileSync } from 'node:fs';
import { isBlankDocument, splitDocuments } from '../../src/postrender/split-documents';
import { dumpYaml11, dumpYaml11WithJsYaml, loadYaml11 } from '../../src/postrender/yaml11';
import { writeYaml11Fast } from '../../src/postrender/yaml11-fast-write';
import { goldenCases } from '../golden/cases';

describe('YAML 1.1 scalars, as Helm and the API server (go-yaml v2) read them', () => {
  test.each<[string, unknown]>([
    ['yes', true],
    ['Yes', true],
    ['on', true],
    ['ON', true],
    ['y', true],
    ['true', true],
    ['no', false],
    ['off', false],
    ['N', false],
    ['False', false],
    ['0644', 420],
    ['0o644', 420],
    ['0x1F', 31],
    ['0b101', 5],
    ['-12', -12],
    ['1_000', 1000],
    ['0', 0],
    ['08', 8],
    ['1.5', 1.5],
    ['.inf', Infinity],
    ['-.Inf', -Infinity],
    ['6.0e3', 6000],
    ['~', null],
    ['null', null],
    ['', null],
    ['2001-12-14', '2001-12-14'],
    ['"yes"', 'yes'],
    ['3.9.0', '3.9.0'],
    ['0755abc', '0755abc'],
  ])('%s reads as %p', (text, expected) => {
    expect(loadYaml11(`v: ${text}\n`)).toEqual({ v: expected });
  });

  test.each(['yes', 'on', 'n', '0644', '08', '1e3', '', 'null', '~', '.nan', '12', '<<'])(
    'the string %p is quoted on output, so it stays a string',
    (text) => {
      const out = dumpYaml11({ v: text });
      expect(loadYaml11(out)).toEqual({ v: text });
    },
  );

  test('numbers and booleans round-trip with their meaning', () => {
    const value = { mode: 420, big: 1e21, half: 0.5, on: true, nothing: null };
    expect(loadYaml11(dumpYaml11(value))).toEqual(value);
  });

  test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'the plain scalar %p is a string, not a property inherited from Object.prototype',
    (text) => {
      const value = loadYaml11(`v: ${text}\n${text}: v\n`);
      expect(value).toEqual({ v: text, [text]: 'v' });
      expect(loadYaml11(dumpYaml11(value))).toEqual(value);
    },
  );

  test('merge keys are honoured', () => {
    expect(loadYaml11('base: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\n')).toEqual({
      base: { a: 1 },
      derived: { a: 1, c: 2 },
    });
  });
});

describe('the fast YAML writer writes what js-yaml writes', () => {
  const cases = goldenCases();

  test.each(cases.map((c) => [c.name, c.expected] as const))(
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

  /** Deterministic, so a failure reproduces: a linear congruential generator. */
  function generator(seed: number) {
    let state = seed;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    return { next, pick };
  }

  // Pieces that hit js-yaml's quoting rules: indicators, `: ` and ` #`, YAML 1.1 booleans, nulls,
  // numbers in every base, base-60, merge keys, line feeds (block scalars), leading and trailing
  // spaces, and characters outside printable ASCII (which the fast writer leaves to js-yaml).
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
    '\u2028',
    '\u007f',
    'x'.repeat(1030),
  ] as const;

  function makeString(random: ReturnType<typeof generator>): string {
    const count = Math.floor(random.next() * 4);
    let text = '';
    for (let i = 0; i < count; i++) text += random.pick(PIECES);
    return text;
  }

  function makeValue(random: ReturnType<typeof generator>, depth: number): unknown {
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
