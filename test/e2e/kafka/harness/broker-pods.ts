/**
 * Where the brokers' pods come from: kafka-warden's own output, never a hand-written spec.
 *
 * - `post-renderer`: a real cp-helm-charts render (../shared/cp-helm-charts/rendered) through
 *   `renderRelease`, the post-renderer's core; the pods are those the StatefulSet controller makes
 *   from the post-rendered template.
 * - `webhook`: the same render without the post-renderer; each pod of the stock StatefulSet goes
 *   through POST /mutate of the webhook's express app, and the JSONPatch it answers is applied, as
 *   the API server does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyPatch, type Operation } from 'fast-json-patch';
import request from 'supertest';
import type { WardenConfig } from '../../../../src/core/config';
import { detectWorkload } from '../../../../src/core/detect';
import type {
  Container,
  KubeObject,
  PodSpec,
  StatefulSetSpec,
} from '../../../../src/core/k8s-types';
import { renderRelease } from '../../../../src/postrender/render';
import { loadDocument, describeDocument } from '../../../../src/manifests/load-document';
import { isBlankDocument, splitDocuments } from '../../../../src/manifests/split-documents';
import { mutationApp } from '../../../support/app';
import { sharedDir } from '../../../support/paths';
import { admissionReview, podFromStatefulSet } from '../../../support/pods';

export type PodSource = 'post-renderer' | 'webhook';

export interface BrokerPods {
  source: PodSource;
  namespace: string;
  /** The broker StatefulSet as it reaches the API server. */
  statefulSet: KubeObject;
  /** Its headless (governing) Service name. */
  headlessService: string;
  /** One pod per ordinal, as the kubelet receives it. */
  pods: KubeObject[];
  /** Every object of the release (ConfigMaps and Secrets for env and volumes). */
  objects: KubeObject[];
  config: WardenConfig;
}

export interface BrokerPodsOptions {
  source: PodSource;
  config: WardenConfig;
  /** A render under ../shared/cp-helm-charts/rendered, e.g. `0.6.1/default`. */
  render?: string;
  /**
   * The render's text itself, instead of a file under rendered/: a `helm template` the test ran
   * with its own values (the stored renders are fixed value sets). `render` then only names it.
   */
  renderText?: string;
  namespace?: string;
}

export async function brokerPods(options: BrokerPodsOptions): Promise<BrokerPods> {
  const namespace = options.namespace ?? 'default';
  const file = path.join(
    sharedDir(),
    'cp-helm-charts',
    'rendered',
    `${options.render ?? '0.6.1/default'}.yaml`,
  );
  const input = options.renderText ?? readFileSync(file, 'utf8');
  const objects =
    options.source === 'post-renderer'
      ? renderRelease(input, options.config).objects
      : parseObjects(input);
  const statefulSet = objects.find(
    (o) =>
      o.kind === 'StatefulSet' &&
      detectWorkload(
        (o.spec as StatefulSetSpec).template?.metadata,
        (o.spec as StatefulSetSpec).template?.spec,
        options.config,
      )?.role === 'kafka',
  );
  if (!statefulSet) throw new Error(`${file}: no Kafka broker StatefulSet`);
  const spec = statefulSet.spec as StatefulSetSpec;
  const replicas = spec.replicas ?? 1;
  const pods: KubeObject[] = [];
  for (let ordinal = 0; ordinal < replicas; ordinal++) {
    const created = withClaimVolumes(
      podFromStatefulSet(statefulSet, ordinal, namespace),
      statefulSet,
    );
    pods.push(
      options.source === 'webhook' ? await admitThroughWebhook(created, options.config) : created,
    );
  }
  return {
    source: options.source,
    namespace,
    statefulSet,
    headlessService: spec.serviceName ?? `${statefulSet.metadata?.name}-headless`,
    pods,
    objects,
    config: options.config,
  };
}

/** The broker container of a pod, found as kafka-warden finds it (never by resource name). */
export function brokerContainer(pod: KubeObject, config: WardenConfig): Container {
  const detected = detectWorkload(pod.metadata, pod.spec as PodSpec, config);
  if (detected?.role !== 'kafka') {
    throw new Error(`pod ${pod.metadata?.name}: no Kafka broker container`);
  }
  return detected.container;
}

/**
 * POST /mutate with the pod in an AdmissionReview, the answer's patch applied to the pod: what the
 * API server stores and the kubelet runs.
 */
async function admitThroughWebhook(pod: KubeObject, config: WardenConfig): Promise<KubeObject> {
  const { app } = mutationApp(config);
  const response = await request(app).post('/mutate').send(admissionReview(pod));
  const review = response.body as {
    response?: { allowed?: boolean; patch?: string; status?: { message?: string } };
  };
  if (response.status !== 200 || review.response?.allowed !== true) {
    throw new Error(
      `POST /mutate refused pod ${pod.metadata?.name}: HTTP ${response.status} ${JSON.stringify(review.response?.status ?? response.body)}`,
    );
  }
  const patch = review.response.patch
    ? (JSON.parse(Buffer.from(review.response.patch, 'base64').toString('utf8')) as Operation[])
    : [];
  if (patch.length === 0) throw new Error(`POST /mutate left pod ${pod.metadata?.name} unchanged`);
  return applyPatch(structuredClone(pod), patch, true, false).newDocument;
}

/**
 * The StatefulSet controller adds one `persistentVolumeClaim` volume per claim template to each
 * pod before creating it (admission sees them); test/support/pods.ts leaves them out.
 */
function withClaimVolumes(pod: KubeObject, statefulSet: KubeObject): KubeObject {
  const spec = pod.spec as PodSpec;
  const claims = (statefulSet.spec as StatefulSetSpec).volumeClaimTemplates ?? [];
  spec.volumes = [
    ...(spec.volumes ?? []),
    ...claims.map((claim) => ({
      name: claim.metadata?.name ?? '',
      persistentVolumeClaim: { claimName: `${claim.metadata?.name}-${pod.metadata?.name}` },
    })),
  ];
  return pod;
}

function parseObjects(input: string): KubeObject[] {
  return splitDocuments(input)
    .map((document, index) =>
      isBlankDocument(document.text)
        ? null
        : loadDocument(document, describeDocument(document, index)),
    )
    .filter((o): o is KubeObject => o !== null);
}
