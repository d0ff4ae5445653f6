/**
 * Manifests as text → objects, remembering where each came from, for `check` (and any door that
 * reads files). YAML is read with go-yaml's 1.1 rules, as Helm and the API server read it. Pure:
 * the caller reads the file.
 */
import { YAMLException } from 'js-yaml';
import { WardenError } from '../core/errors';
import { isRecord, type KubeObject } from '../core/k8s-types';
import { isBlankDocument, splitDocuments } from '../postrender/split-documents';
import { loadYaml11 } from '../postrender/yaml11';

export interface SourcedObject {
  object: KubeObject;
  /** `file.yaml: document 3 (line 120, cp-kafka/templates/statefulset.yaml)`. */
  origin: string;
}

export function parseManifests(text: string, source: string): SourcedObject[] {
  const objects: SourcedObject[] = [];
  splitDocuments(text).forEach((document, index) => {
    if (isBlankDocument(document.text)) return;
    const helmSource = /^# Source: (.+)$/m.exec(document.text)?.[1];
    const origin = `${source}: document ${index + 1} (line ${document.line}${helmSource ? `, ${helmSource}` : ''})`;
    let value: unknown;
    try {
      value = loadYaml11(document.text);
    } catch (error) {
      const reason =
        error instanceof YAMLException
          ? `${error.reason} at line ${document.line + error.mark.line}, column ${error.mark.column + 1}`
          : String(error);
      throw new WardenError('KW_INPUT_YAML', `${origin} is not valid YAML: ${reason}`);
    }
    if (!isRecord(value)) {
      const got =
        value === null ? 'null' : Array.isArray(value) ? 'a sequence' : `a ${typeof value}`;
      throw new WardenError(
        'KW_INPUT_NOT_MAPPING',
        `${origin} is ${got}, not a Kubernetes object (a mapping with apiVersion and kind)`,
      );
    }
    // `kubectl get … -o yaml` wraps what it returns in a List.
    if (
      typeof value.kind === 'string' &&
      value.kind.endsWith('List') &&
      Array.isArray(value.items)
    ) {
      value.items.forEach((item, i) => {
        if (isRecord(item)) objects.push({ object: item, origin: `${origin} item ${i + 1}` });
      });
      return;
    }
    objects.push({ object: value, origin });
  });
  return objects;
}
