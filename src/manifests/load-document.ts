/**
 * One YAML document of a manifest stream as a Kubernetes object, or an error that names the
 * document (its number, line and Helm `# Source:`) and the problem. Shared by the post-renderer
 * and by every command that reads manifest files (check, render --previous).
 */
import { YAMLException } from 'js-yaml';
import { WardenError } from '../core/errors';
import { isRecord, type KubeObject } from '../core/k8s-types';
import type { RawDocument } from './split-documents';
import { loadYaml11 } from './yaml11';

/** `document 3 (line 120, cp-kafka/templates/statefulset.yaml)`. */
export function describeDocument(document: RawDocument, index: number): string {
  const source = /^# Source: (.+)$/m.exec(document.text)?.[1];
  return `document ${index + 1} (line ${document.line}${source ? `, ${source}` : ''})`;
}

export function loadDocument(
  document: RawDocument,
  origin: string,
): Record<string, unknown> & KubeObject {
  let value: unknown;
  try {
    value = loadYaml11(document.text);
  } catch (error) {
    // Typed as always there, a YAMLException's mark is missing from some (a second document
    // after `...`): the reason alone then.
    const mark =
      error instanceof YAMLException
        ? (error.mark as YAMLException['mark'] | undefined)
        : undefined;
    const reason =
      error instanceof YAMLException
        ? `${error.reason}${mark ? ` at line ${document.line + mark.line}, column ${mark.column + 1}` : ''}`
        : error instanceof Error
          ? error.message
          : String(error);
    throw new WardenError('KW_INPUT_YAML', `${origin} is not valid YAML: ${reason}`);
  }
  if (!isRecord(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'a sequence' : `a ${typeof value}`;
    throw new WardenError(
      'KW_INPUT_NOT_MAPPING',
      `${origin} is ${got}, not a Kubernetes object (a mapping with apiVersion and kind)`,
    );
  }
  return value;
}
