/**
 * The fields the transformation reads and edits, checked for their Kubernetes types before it
 * touches an object. The code relies on those types (a container's env is a list of entries with
 * names, annotations are strings); a render can hold anything (a chart value in the wrong place, a
 * bad indent turning a list into a mapping), and so can a review from a client that is not the API
 * server. Without this, such an object failed somewhere inside the transformation with a TypeError
 * (the post-renderer's "internal error", the webhook's 500); the API server would refuse every one
 * of them anyway. null and absent are the same, as for the API server; only what kafka-warden
 * uses is checked, the rest of an object is the API server's to judge.
 */
import { WardenError } from './errors';
import { isRecord, WORKLOAD_KINDS, type KubeObject } from './k8s-types';
import { quoteInput } from './limits';

type Shape =
  | 'string'
  | 'number'
  | 'mapping'
  | { list: Shape }
  | { strings: true }
  | { fields: Record<string, Shape>; required?: readonly string[] };

const STRINGS: Shape = { strings: true };
const fields = (f: Record<string, Shape>, required: readonly string[] = []): Shape => ({
  fields: f,
  required,
});
const list = (item: Shape): Shape => ({ list: item });

const METADATA = fields({
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  labels: STRINGS,
  annotations: STRINGS,
  ownerReferences: list(fields({ kind: 'string', name: 'string' })),
});

const CONTAINER = fields(
  {
    name: 'string',
    image: 'string',
    command: list('string'),
    args: list('string'),
    env: list(fields({ name: 'string', value: 'string', valueFrom: 'mapping' }, ['name'])),
    ports: list(fields({ name: 'string', containerPort: 'number', protocol: 'string' })),
    volumeMounts: list(fields({ name: 'string', mountPath: 'string' }, ['name'])),
    readinessProbe: 'mapping',
    terminationMessagePath: 'string',
    terminationMessagePolicy: 'string',
  },
  ['name'],
);

const POD_TEMPLATE = fields({
  metadata: METADATA,
  spec: fields({
    containers: list(CONTAINER),
    initContainers: list(CONTAINER),
    volumes: list(fields({ name: 'string' }, ['name'])),
    subdomain: 'string',
  }),
});

const SELECTOR = fields({ matchLabels: STRINGS, matchExpressions: list('mapping') });

const SHAPES: Record<string, Shape> = {
  Pod: POD_TEMPLATE,
  ...Object.fromEntries(
    [...WORKLOAD_KINDS].map((kind) => [
      kind,
      fields({
        metadata: METADATA,
        spec: fields({ serviceName: 'string', selector: SELECTOR, template: POD_TEMPLATE }),
      }),
    ]),
  ),
  Service: fields({
    metadata: METADATA,
    spec: fields({
      ports: list(fields({ name: 'string', port: 'number', nodePort: 'number' })),
      selector: STRINGS,
      clusterIP: 'string',
      type: 'string',
    }),
  }),
  PodDisruptionBudget: fields({ metadata: METADATA, spec: fields({ selector: SELECTOR }) }),
};

/**
 * Throws KW_INPUT_FIELD naming the first field of `object` (Pods, workloads, Services and
 * PodDisruptionBudgets; other kinds are not edited) whose type is not the one Kubernetes gives it.
 * `kind` is the object's own unless the caller knows better (an AdmissionReview names it).
 */
export function checkObjectShape(
  object: KubeObject,
  where: string,
  kind: unknown = object.kind,
): void {
  const shape = typeof kind === 'string' && Object.hasOwn(SHAPES, kind) ? SHAPES[kind] : undefined;
  const problem = shape && problemWith(object, shape, '');
  if (problem) {
    throw new WardenError(
      'KW_INPUT_FIELD',
      `${where}: ${problem}; the API server would refuse it too (check the chart values that render it)`,
    );
  }
}

function problemWith(value: unknown, shape: Shape, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (shape === 'string' || shape === 'number') {
    return typeof value === shape ? undefined : wrong(path, `a ${shape}`, value);
  }
  if (shape === 'mapping') return isRecord(value) ? undefined : wrong(path, 'a mapping', value);
  if ('list' in shape) {
    if (!Array.isArray(value)) return wrong(path, 'a list', value);
    for (const [index, item] of value.entries()) {
      const at = `${path}[${index}]`;
      if (item === null || item === undefined) return `${at} is empty, where a list entry belongs`;
      const problem = problemWith(item, shape.list, at);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isRecord(value)) return wrong(path, 'a mapping', value);
  if ('strings' in shape) {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'string') return wrong(`${path}.${key}`, 'a string (quote it)', item);
    }
    return undefined;
  }
  for (const [key, fieldShape] of Object.entries(shape.fields)) {
    const at = path ? `${path}.${key}` : key;
    const item = Object.hasOwn(value, key) ? value[key] : undefined;
    if (shape.required?.includes(key) && (item === undefined || item === null)) {
      return `${at} is missing`;
    }
    const problem = problemWith(item, fieldShape, at);
    if (problem) return problem;
  }
  return undefined;
}

function wrong(path: string, expected: string, value: unknown): string {
  return `${path || 'the object'} must be ${expected}, not ${quoteInput(value)}`;
}
