/**
 * Applies RFC 6902 operations (as fast-json-patch's `compare` produces them: add, remove, replace)
 * to a `yaml` Document instead of to plain data, so a changed document keeps its comments (Helm's
 * `# Source:` line) and the layout of everything the patch does not touch. The webhook sends the
 * very same operations to the API server.
 */
import type { Operation } from 'fast-json-patch';
import { isMap, isSeq, type Document } from 'yaml';

export function applyPatchToDocument(doc: Document, operations: readonly Operation[]): void {
  for (const op of operations) {
    const path = resolvePath(doc, op.path);
    switch (op.op) {
      case 'replace':
        doc.setIn(path, doc.createNode(op.value));
        break;
      case 'remove':
        doc.deleteIn(path);
        break;
      case 'add': {
        const parentPath = path.slice(0, -1);
        const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
        const key = path[path.length - 1];
        if (isSeq(parent)) {
          const node = doc.createNode(op.value);
          if (key === '-' || key === undefined) parent.items.push(node);
          else parent.items.splice(Number(key), 0, node);
        } else if (isMap(parent) || parentPath.length === 0) {
          doc.setIn(path, doc.createNode(op.value));
        } else {
          throw new Error(`cannot add at ${op.path}: parent is not a collection`);
        }
        break;
      }
      default:
        throw new Error(`unsupported patch operation ${op.op} at ${op.path}`);
    }
  }
}

/**
 * JSON Pointer segments are strings; sequence indices must become numbers and map keys must stay
 * strings even when they look numeric (an annotation key "5556"), so walk the document to decide.
 */
function resolvePath(doc: Document, pointer: string): (string | number)[] {
  if (pointer === '') return [];
  const segments = pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  const path: (string | number)[] = [];
  let node: unknown = doc.contents;
  for (const segment of segments) {
    if (isSeq(node)) {
      const index = segment === '-' ? node.items.length : Number(segment);
      path.push(segment === '-' ? '-' : index);
      node = node.items[index];
    } else {
      path.push(segment);
      node = isMap(node) ? node.get(segment, true) : undefined;
    }
  }
  return path;
}
