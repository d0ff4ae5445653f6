/**
 * Manifests as text → objects, remembering where each came from, for `check` (and any door that
 * reads files). YAML is read with go-yaml's 1.1 rules, as Helm and the API server read it. Pure:
 * the caller reads the file.
 */
import { isRecord, type KubeObject } from '../core/k8s-types';
import { describeDocument, loadDocument } from '../manifests/load-document';
import { isBlankDocument, splitDocuments } from '../manifests/split-documents';

export interface SourcedObject {
  object: KubeObject;
  /** `file.yaml: document 3 (line 120, cp-kafka/templates/statefulset.yaml)`. */
  origin: string;
}

export function parseManifests(text: string, source: string): SourcedObject[] {
  const objects: SourcedObject[] = [];
  splitDocuments(text).forEach((document, index) => {
    if (isBlankDocument(document.text)) return;
    const origin = `${source}: ${describeDocument(document, index)}`;
    const value = loadDocument(document, origin);
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
