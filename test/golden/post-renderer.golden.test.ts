import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '../../src/core/config';
import { loadConfigFile } from '../../src/config/load-config';
import { renderManifests } from '../../src/postrender/render';
import { splitDocuments, isBlankDocument } from '../../src/manifests/split-documents';
import { GOLDEN_DIR, goldenCases, type GoldenCase } from './cases';

const UPDATE = process.env.KW_UPDATE_GOLDEN === '1';
const cases = goldenCases();

function render(testCase: GoldenCase, input = readFileSync(testCase.input, 'utf8')): string {
  const config = testCase.config ? loadConfigFile(testCase.config) : resolveConfig();
  return renderManifests(input, config);
}

describe('post-renderer golden cases', () => {
  test.each(cases.map((c) => [c.name, c] as const))(
    '%s matches its expected output',
    (_name, testCase) => {
      const output = render(testCase);
      if (UPDATE) {
        mkdirSync(path.dirname(testCase.expected), { recursive: true });
        writeFileSync(testCase.expected, output);
      }
      expect(existsSync(testCase.expected)).toBe(true);
      expect(output).toBe(readFileSync(testCase.expected, 'utf8'));
    },
  );

  test.each(cases.map((c) => [c.name, c] as const))(
    '%s: re-rendering the output changes nothing',
    (_name, testCase) => {
      const once = render(testCase);
      expect(render(testCase, once)).toBe(once);
    },
  );

  test.each(cases.map((c) => [c.name, c] as const))(
    '%s: documents that are not Kafka or ZooKeeper come out byte-identical',
    (_name, testCase) => {
      const input = readFileSync(testCase.input, 'utf8');
      const output = render(testCase);
      const config = testCase.config ? loadConfigFile(testCase.config) : resolveConfig();
      const plaintextDropped = config.tls.enabled && !config.tls.keepPlaintext;
      for (const document of splitDocuments(input)) {
        if (isBlankDocument(document.text)) continue;
        const app = /^\s+app: (\S+)$/m.exec(document.text)?.[1];
        const kafkaOrZk = app === 'cp-kafka' || app === 'cp-zookeeper';
        const isLegacyPdb = document.text.includes('policy/v1beta1');
        if (
          kafkaOrZk ||
          isLegacyPdb ||
          (plaintextDropped && document.text.includes('_BOOTSTRAP_SERVERS'))
        )
          continue;
        expect(output).toContain(document.text);
      }
    },
  );

  test('every expected file belongs to a case', () => {
    const expected = new Set(cases.map((c) => path.relative(GOLDEN_DIR, c.expected)));
    const onDisk = readdirSync(path.join(GOLDEN_DIR, 'expected'), {
      recursive: true,
      encoding: 'utf8',
    })
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => path.join('expected', f));
    expect(onDisk.filter((f) => !expected.has(f))).toEqual([]);
  });

  test('every output is valid YAML with no duplicate documents', () => {
    for (const testCase of cases) {
      const docs = parseAllDocuments(readFileSync(testCase.expected, 'utf8'));
      const ids = docs
        .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
        .filter((o) => o !== null)
        .map((o) => `${o.kind}/${o.metadata?.name}`);
      expect(new Set(ids).size).toBe(ids.length);
      for (const doc of docs) expect(doc.errors).toEqual([]);
    }
  });
});

if (UPDATE) {
  afterAll(() => {
    // Refreshing expectations is a change to review, never a silent pass.
    const diff = execFileSync('git', ['status', '--short', '--', GOLDEN_DIR], { encoding: 'utf8' });
    console.log(
      diff ? `golden files changed, review with git diff:\n${diff}` : 'golden files unchanged',
    );
  });
}
