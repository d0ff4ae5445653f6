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
import { STATUS_ANNOTATION } from '../core/injection-status';
import { WORKLOAD_KINDS, type KubeObject } from '../core/k8s-types';
import { REST_PROXY_ZOOKEEPER_ENV, type Notice } from '../core/notices';
import { KAFKA_CLIENT_COMPONENTS } from '../core/tls-wiring';
import { isHelmHook, transformManifests } from '../core/transform-manifests';
import { isBlankDocument, splitDocuments } from '../manifests/split-documents';
import { describeDocument, loadDocument } from '../manifests/load-document';
import { dumpYaml11 } from '../manifests/yaml11';

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

export function renderRelease(input: string, config: WardenConfig): RenderResult {
  const raw = splitDocuments(input);
  const patterns = relevantPatterns(config);
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
    if (!mayMatter(object, document.text, patterns)) {
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

/**
 * A cheap pre-filter: a document is parsed for editing only when its kind can be transformed and
 * its text shows a line detection looks for (a label, a container name, an image, or a bootstrap
 * variable when PLAINTEXT is dropped). It may let through documents that turn out not to matter,
 * never the other way round for YAML written in block style, which is what Helm emits.
 */
function mayMatter(object: KubeObject, text: string, patterns: RegExp[]): boolean {
  if (isHelmHook(object)) return false;
  if (object.kind === 'PodDisruptionBudget') return true;
  const kind = object.kind ?? '';
  if (kind !== 'Service' && kind !== 'Pod' && !WORKLOAD_KINDS.has(kind)) return false;
  return patterns.some((pattern) => pattern.test(text));
}

function relevantPatterns(config: WardenConfig): RegExp[] {
  const quoted = (value: string) => `["']?${escapeRegExp(value)}["']?`;
  // Whatever kafka-warden injected before must be revisited, to update or undo it.
  const patterns: RegExp[] = [new RegExp(escapeRegExp(STATUS_ANNOTATION))];
  for (const matcher of [config.detection.kafka, config.detection.zookeeper]) {
    for (const [key, value] of Object.entries(matcher.labels)) {
      patterns.push(new RegExp(`${quoted(key)}\\s*:\\s*${quoted(value)}\\s*(?:#.*)?$`, 'm'));
    }
    for (const name of matcher.containerNames) {
      patterns.push(new RegExp(`name\\s*:\\s*${quoted(name)}\\s*(?:#.*)?$`, 'm'));
    }
    for (const image of matcher.images) {
      patterns.push(new RegExp(`${escapeRegExp(image)}(?:[:@"'\\s]|$)`, 'm'));
    }
  }
  if (config.tls.enabled && !config.tls.keepPlaintext) {
    for (const component of KAFKA_CLIENT_COMPONENTS)
      patterns.push(new RegExp(escapeRegExp(component.bootstrapEnv)));
    // Read only to say that it cannot be switched (a notice), never changed.
    patterns.push(new RegExp(escapeRegExp(REST_PROXY_ZOOKEEPER_ENV)));
  }
  return patterns;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
