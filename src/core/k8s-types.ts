/**
 * The slice of the Kubernetes API that kafka-warden reads and writes. Written by hand instead of
 * importing @kubernetes/client-node so that the pure core (and the post-renderer, whose start-up
 * time is a product feature) never loads the client. Field docs follow the upstream API reference.
 */

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion?: string; kind: string; name: string; uid?: string }[];
  [key: string]: unknown;
}

/** Any manifest: what Helm renders, kubectl applies, or an AdmissionReview carries. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: unknown;
  [key: string]: unknown;
}

export interface EnvVar {
  name: string;
  /** A literal value. kafka-warden never puts a password here. */
  value?: string;
  valueFrom?: unknown;
}

export interface ContainerPort {
  containerPort: number;
  name?: string;
  protocol?: string;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface Probe {
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  httpGet?: { path?: string; port: number | string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[] | null;
  ports?: ContainerPort[] | null;
  volumeMounts?: VolumeMount[] | null;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: unknown;
  securityContext?: unknown;
  [key: string]: unknown;
}

export interface Volume {
  name: string;
  secret?: { secretName: string; defaultMode?: number; optional?: boolean };
  configMap?: { name: string };
  emptyDir?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[] | null;
  volumes?: Volume[] | null;
  /** Set by the StatefulSet controller on each pod to the governing (headless) service name. */
  subdomain?: string;
  hostname?: string;
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: unknown[];
}

export interface StatefulSetSpec {
  replicas?: number;
  serviceName?: string;
  selector?: LabelSelector;
  podManagementPolicy?: string;
  updateStrategy?: { type?: string; rollingUpdate?: Record<string, unknown> };
  template?: PodTemplate;
  volumeClaimTemplates?: { metadata?: ObjectMeta }[];
  [key: string]: unknown;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: string;
}

export interface ServiceSpec {
  type?: string | null;
  clusterIP?: string;
  ports?: ServicePort[];
  selector?: Labels;
  [key: string]: unknown;
}

/** The kinds whose `spec.template` is a pod template (a Pod is its own). */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set([
  'StatefulSet',
  'Deployment',
  'DaemonSet',
  'ReplicaSet',
  'Job',
]);

/** The label the StatefulSet controller gives each pod: its own name (a per-broker selector). */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
