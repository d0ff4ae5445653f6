import { dumpYaml11, loadYaml11 } from '../../../src/manifests/yaml11';
import {
  IMPLICIT_TYPES,
  readsAsNonString,
  resolvePlainScalar,
} from '../../../src/manifests/yaml11-scalars';

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

describe('the first-character shortcut of plain scalar resolution', () => {
  /** Every type tried, no shortcut: what js-yaml does. */
  function resolveEveryType(text: string): unknown {
    const type = IMPLICIT_TYPES.find((candidate) => candidate.resolve(text));
    return type ? (type.construct(text) as unknown) : text;
  }

  test('changes no result: every printable ASCII text of up to two characters, and every keyword with a character before or after it', () => {
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
    const keywords = [
      ...['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null', '~', '<<'],
      ...['.inf', '.nan', '0x1F', '0o7', '0b1', '0644', '1_000', '1e3', '.5', '-1', '+1', '08'],
    ].flatMap((word) => [word, word.toUpperCase(), word[0]?.toUpperCase() + word.slice(1)]);
    const texts = [
      '',
      ...printable,
      ...printable.flatMap((a) => printable.map((b) => a + b)),
      ...keywords.flatMap((word) => printable.flatMap((c) => [word, c + word, word + c])),
    ];
    let nonStrings = 0;
    for (const text of texts) {
      const expected = resolveEveryType(text);
      if (typeof expected !== 'string') nonStrings++;
      expect([text, resolvePlainScalar(text)]).toEqual([text, expected]);
      expect([text, readsAsNonString(text)]).toEqual([
        text,
        typeof expected !== 'string' || text === '<<',
      ]);
    }
    expect(nonStrings).toBeGreaterThan(500);
  });
});
