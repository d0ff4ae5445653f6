/**
 * A container's environment as the kubelet builds it: `envFrom` first, then `env` in order, with
 * `$(VAR)` references to earlier variables expanded, `fieldRef` from the pod and its status,
 * `secretKeyRef` / `configMapKeyRef` from the objects the harness knows (the rendered release and
 * the Secrets it issued). Anything the kubelet would refuse, or that the harness cannot know,
 * fails with the variable named, never silently empty.
 */
import type { Container, KubeObject } from '../../../../src/core/k8s-types';
import { isRecord } from '../../../../src/core/k8s-types';

/** What the API server and the kubelet fill in for a running pod. */
export interface PodStatus {
  podIP: string;
  hostIP: string;
  nodeName: string;
}

export class PodEnvError extends Error {
  override name = 'PodEnvError';
}

export interface ResolveEnvOptions {
  pod: KubeObject;
  container: Container;
  status: PodStatus;
  /** Secrets and ConfigMaps visible to the pod (same namespace). */
  objects: KubeObject[];
}

export function resolveContainerEnv(options: ResolveEnvOptions): Record<string, string> {
  const { pod, container } = options;
  const env: Record<string, string> = {};
  const where = `container ${container.name} of pod ${pod.metadata?.name ?? '?'}`;

  for (const source of asArray(container.envFrom)) {
    if (!isRecord(source)) continue;
    const prefix = typeof source.prefix === 'string' ? source.prefix : '';
    const ref = isRecord(source.configMapRef) ? source.configMapRef : source.secretRef;
    const kind = isRecord(source.configMapRef) ? 'ConfigMap' : 'Secret';
    if (!isRecord(ref) || typeof ref.name !== 'string') {
      throw new PodEnvError(`${where}: envFrom entry without configMapRef/secretRef name`);
    }
    const data = objectData(options.objects, kind, ref.name);
    if (data === null) {
      if (ref.optional === true) continue;
      throw new PodEnvError(`${where}: envFrom ${kind} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) env[prefix + key] = value;
  }

  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = expandReferences(variable.value, env);
    } else if (variable.valueFrom !== undefined) {
      const value = valueFrom(variable.name, variable.valueFrom, options, where);
      if (value !== null) env[variable.name] = value;
    } else {
      env[variable.name] = '';
    }
  }
  return env;
}

/**
 * Kubernetes' `$(VAR)` expansion: a reference to a variable defined earlier is replaced, `$$` is
 * an escaped `$`, and an unknown reference stays as written (the kubelet's rule).
 */
export function expandReferences(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name?: string) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(env, name) ? (env[name] as string) : match;
  });
}

function valueFrom(
  name: string,
  from: unknown,
  options: ResolveEnvOptions,
  where: string,
): string | null {
  if (!isRecord(from)) throw new PodEnvError(`${where}: env ${name}: valueFrom is not an object`);
  if (isRecord(from.fieldRef)) return fieldRef(name, String(from.fieldRef.fieldPath), options);
  for (const [key, kind] of [
    ['secretKeyRef', 'Secret'],
    ['configMapKeyRef', 'ConfigMap'],
  ] as const) {
    const ref = from[key];
    if (!isRecord(ref)) continue;
    const objectName = String(ref.name);
    const dataKey = String(ref.key);
    const data = objectData(options.objects, kind, objectName);
    const value = data?.[dataKey];
    if (value !== undefined) return value;
    if (ref.optional === true) return null;
    throw new PodEnvError(
      data === null
        ? `${where}: env ${name}: ${kind} "${objectName}" not found (the kubelet would not start the container)`
        : `${where}: env ${name}: key "${dataKey}" not found in ${kind} "${objectName}" (the kubelet would not start the container)`,
    );
  }
  throw new PodEnvError(
    `${where}: env ${name}: valueFrom ${Object.keys(from).join(', ')} is not supported by the harness`,
  );
}

function fieldRef(name: string, fieldPath: string, options: ResolveEnvOptions): string {
  const meta = options.pod.metadata ?? {};
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = meta[labelOrAnnotation[1] as 'labels' | 'annotations'] ?? {};
    return map[labelOrAnnotation[2] as string] ?? '';
  }
  const spec = isRecord(options.pod.spec) ? options.pod.spec : {};
  const fields: Record<string, string | undefined> = {
    'metadata.name': meta.name,
    'metadata.namespace': meta.namespace,
    'metadata.uid': typeof meta.uid === 'string' ? meta.uid : undefined,
    'spec.nodeName': options.status.nodeName,
    'spec.serviceAccountName':
      typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : 'default',
    'status.hostIP': options.status.hostIP,
    'status.hostIPs': options.status.hostIP,
    'status.podIP': options.status.podIP,
    'status.podIPs': options.status.podIP,
  };
  const value = fields[fieldPath];
  if (value === undefined) {
    throw new PodEnvError(`env ${name}: fieldRef ${fieldPath} is not known to the harness`);
  }
  return value;
}

/** A Secret's data (decoded) or a ConfigMap's data, by name; null when there is none. */
function objectData(
  objects: KubeObject[],
  kind: 'Secret' | 'ConfigMap',
  name: string,
): Record<string, string> | null {
  const object = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!object) return null;
  const data: Record<string, string> = {};
  if (isRecord(object.data)) {
    for (const [key, value] of Object.entries(object.data)) {
      if (typeof value !== 'string') continue;
      data[key] = kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
    }
  }
  if (isRecord(object.stringData)) {
    for (const [key, value] of Object.entries(object.stringData)) {
      if (typeof value === 'string') data[key] = value;
    }
  }
  return data;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}
