import { compare } from 'fast-json-patch';
import { parseDocument } from 'yaml';
import { applyPatchToDocument } from '../../src/postrender/yaml-patch';

describe('applying a JSON patch to a YAML document', () => {
  test('keeps comments and edits keys that look like numbers as strings', () => {
    const text =
      '# Source: x.yaml\nkind: Pod # the kind\nmetadata:\n  annotations:\n    "5556": a\nlist:\n- 1\n- 2\n';
    const doc = parseDocument(text, { version: '1.1' });
    const before = doc.toJS() as Record<string, unknown>;
    const after = structuredClone(before) as {
      metadata: { annotations: Record<string, string> };
      list: number[];
    };
    after.metadata.annotations['5556'] = 'b';
    after.list.splice(1, 0, 9);
    applyPatchToDocument(doc, compare(before, after));
    expect(doc.toJS()).toEqual(after);
    const out = doc.toString();
    expect(out).toContain('# Source: x.yaml');
    expect(out).toContain('# the kind');
  });

  test('YAML 1.1 octal modes survive a round trip unchanged in meaning', () => {
    const doc = parseDocument('mode: 0644\nflag: yes\n', { version: '1.1' });
    expect(doc.toJS()).toEqual({ mode: 420, flag: true });
  });
});
