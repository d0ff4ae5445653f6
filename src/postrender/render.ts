/**
 * The post-renderer: a YAML stream in, a YAML stream out, around the pure core.
 *
 * Speed matters here (Helm runs this on every install, upgrade and diff), so documents are handled
 * in two tiers. Every document is checked with js-yaml, which is fast, to reject bad input before
 * anything is written. Only documents that can matter to kafka-warden are parsed again with `yaml`,
 * whose Document model lets us edit a document while keeping its comments; everything else goes back
 * out byte for byte. Both parse as YAML 1.1 where it matters: `yaml` is pinned to 1.1 because Helm
 * and the API server (go-yaml) read `yes`/`on` as booleans and `0644` as octal, and a document we
 * re-serialise must mean to them what it meant before.
 */
import { compare } from 'fast-json-patch';
import { load as validateYaml, YAMLException } from 'js-yaml';
import { parseDocument, stringify, type Document } from 'yaml';
import type { WardenConfig } from '../core/config';
import { STATUS_ANNOTATION } from '../core/injection-status';
import { WardenError } from '../core/errors';
import type { KubeObject } from '../core/k8s-types';
import { isRecord } from '../core/k8s-types';
import { isHelmHook, transformManifests } from '../core/transform-manifests';
import { KAFKA_CLIENT_COMPONENTS } from '../core/tls-wiring';
import { isBlankDocument, splitDocuments, type RawDocument } from './split-documents';
import { applyPatchToDocument } from './yaml-patch';

const YAML_VERSION = '1.1' as const;
const WORKLOAD_KINDS = new Set([
  'StatefulSet',
  'Deployment',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'Pod',
]);

interface Candidate {
  doc: Document;
  original: KubeObject;
}

export function renderManifests(input: string, config: WardenConfig): string {
  const raw = splitDocuments(input);
  const patterns = relevantPatterns(config);
  const objects: (KubeObject | undefined)[] = [];
  const candidates = new Map<number, Candidate>();
  let documentCount = 0;

  raw.forEach((document, index) => {
    if (isBlankDocument(document.text)) {
      objects.push(undefined);
      return;
    }
    documentCount++;
    const object = checkDocument(document, index);
    if (!mayMatter(object, document.text, patterns)) {
      objects.push(undefined);
      return;
    }
    const doc = parseDocument(document.text, { version: YAML_VERSION });
    if (doc.errors.length > 0) {
      throw new WardenError(
        'KW_INPUT_YAML',
        `${describeDocument(document, index)}: ${doc.errors[0]?.message}`,
      );
    }
    const original = doc.toJS() as KubeObject;
    candidates.set(index, { doc, original });
    objects.push(structuredClone(original));
  });
  if (documentCount === 0) {
    throw new WardenError(
      'KW_INPUT_EMPTY',
      'no Kubernetes manifest on standard input (is the chart rendering anything?)',
    );
  }

  const { added } = transformManifests(objects, config);

  const out: string[] = [];
  raw.forEach((document, index) => {
    const candidate = candidates.get(index);
    const transformed = objects[index];
    const operations = candidate && transformed ? compare(candidate.original, transformed) : [];
    if (!candidate || operations.length === 0) {
      out.push(document.text);
    } else {
      applyPatchToDocument(candidate.doc, operations);
      out.push(withSeparator(candidate.doc.toString({ lineWidth: 0 })));
    }
    for (const extra of added.filter((a) => a.after === index)) {
      out.push(withSeparator(stringify(extra.object, { version: YAML_VERSION, lineWidth: 0 })));
    }
  });
  // Chunks are joined as they are; a newline is added only where a chunk without one is followed
  // by another, so an untouched stream comes out byte for byte, final newline or not.
  for (let i = 0; i < out.length - 1; i++) {
    const chunk = out[i] as string;
    if (chunk !== '' && !chunk.endsWith('\n')) out[i] = `${chunk}\n`;
  }
  return out.join('');
}

/** Validates one document and returns it as data; throws naming the document on bad input. */
function checkDocument(document: RawDocument, index: number): KubeObject {
  let value: unknown;
  try {
    value = validateYaml(document.text);
  } catch (error) {
    const reason =
      error instanceof YAMLException
        ? `${error.reason} at line ${document.line + error.mark.line}, column ${error.mark.column + 1}`
        : String(error);
    throw new WardenError(
      'KW_INPUT_YAML',
      `${describeDocument(document, index)} is not valid YAML: ${reason}`,
    );
  }
  if (!isRecord(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'a sequence' : `a ${typeof value}`;
    throw new WardenError(
      'KW_INPUT_NOT_MAPPING',
      `${describeDocument(document, index)} is ${got}, not a Kubernetes object (a mapping with apiVersion and kind)`,
    );
  }
  return value;
}

function describeDocument(document: RawDocument, index: number): string {
  const source = /^# Source: (.+)$/m.exec(document.text)?.[1];
  return `document ${index + 1} (line ${document.line}${source ? `, ${source}` : ''})`;
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
  if (object.kind !== 'Service' && !WORKLOAD_KINDS.has(object.kind ?? '')) return false;
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
    for (const component of KAFKA_CLIENT_COMPONENTS) patterns.push(new RegExp(escapeRegExp(component.bootstrapEnv)));
  }
  return patterns;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function withSeparator(text: string): string {
  const body = text.startsWith('---\n') ? text.slice(4) : text;
  return ensureNewline(`---\n${body}`);
}
