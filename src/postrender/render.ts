/**
 * The post-renderer: a YAML stream in, a YAML stream out, around the pure core.
 *
 * Speed matters here (Helm runs this on every install, upgrade and diff, and the process starts
 * cold each time). Every document is read (loadYaml11: go-yaml's YAML 1.1 scalar rules, a fast
 * line-at-a-time reader for Helm's block style, js-yaml for the rest), which also rejects bad input
 * before anything is written. Documents the transformation leaves unchanged go back out byte for
 * byte; a changed document is written anew from its data (dumpYaml11, likewise fast), keeping the
 * comment lines that lead it (Helm's `# Source:`) but not comments inside it.
 */
import type { WardenConfig } from '../core/config';
import { WardenError } from '../core/errors';
import type { KubeObject } from '../core/k8s-types';
import type { Notice } from '../core/notices';
import { transformManifests } from '../core/transform-manifests';
import { isBlankDocument, splitDocuments } from '../manifests/split-documents';
import { describeDocument, loadDocument } from '../manifests/load-document';
import { dumpYaml11 } from '../manifests/yaml11';
import { documentFilter, type DocumentFilter } from './prefilter';

export interface RenderResult {
  output: string;
  /** Every object of the release after the transformation, documents kafka-warden added included. */
  objects: KubeObject[];
  /** The transformation's notices (src/core/notices.ts), for stderr. */
  notices: Notice[];
}

export function renderManifests(input: string, config: WardenConfig): string {
  return renderRelease(input, config).output;
}

/**
 * `filter` picks the documents that go through the transformation: every one is the plain path
 * (src/postrender/prefilter.ts), the default a fast path equal to it in output.
 */
export function renderRelease(
  input: string,
  config: WardenConfig,
  filter: DocumentFilter = documentFilter(config),
): RenderResult {
  const raw = splitDocuments(input);
  const objects: (KubeObject | undefined)[] = [];
  /** Every parsed object, for the policy (ConfigMaps may hold reassignment plans). */
  const parsed: KubeObject[] = [];
  /** The data of each candidate before the transformation, to tell which ones it changed. */
  const before = new Map<number, string>();
  let documentCount = 0;

  raw.forEach((document, index) => {
    if (isBlankDocument(document.text)) {
      objects.push(undefined);
      return;
    }
    documentCount++;
    const object = loadDocument(document, describeDocument(document, index));
    parsed.push(object);
    if (!filter(object, document.text)) {
      objects.push(undefined);
      return;
    }
    before.set(index, JSON.stringify(object));
    objects.push(object);
  });
  if (documentCount === 0) {
    throw new WardenError(
      'KW_INPUT_EMPTY',
      'no Kubernetes manifest on standard input (is the chart rendering anything?)',
    );
  }

  const { added, notices } = transformManifests(objects, config);
  const addedAfter = new Map<number, KubeObject[]>();
  for (const { object, after } of added) {
    addedAfter.set(after, [...(addedAfter.get(after) ?? []), object]);
  }

  const out: string[] = [];
  raw.forEach((document, index) => {
    const object = objects[index];
    const original = before.get(index);
    if (object === undefined || original === undefined || JSON.stringify(object) === original) {
      out.push(document.text);
    } else {
      out.push(`---\n${leadingComments(document.text)}${dumpYaml11(object)}`);
    }
    for (const extra of addedAfter.get(index) ?? []) out.push(`---\n${dumpYaml11(extra)}`);
  });
  // Chunks are joined as they are; a newline is added only where a chunk without one is followed
  // by another, so an untouched stream comes out byte for byte, final newline or not.
  for (let i = 0; i < out.length - 1; i++) {
    const chunk = out[i] as string;
    if (chunk !== '' && !chunk.endsWith('\n')) out[i] = `${chunk}\n`;
  }
  return {
    output: out.join(''),
    objects: [...parsed, ...added.map((a) => a.object)],
    notices,
  };
}

/** The comment lines before a document's first key, without its `---` line. */
function leadingComments(text: string): string {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (/^---(\s|$)/.test(line) || line.trim() === '') continue;
    if (!line.startsWith('#')) break;
    lines.push(line);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
