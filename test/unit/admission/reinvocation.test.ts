/**
 * reinvocationPolicy: IfNeeded. After the mutating webhook changed a pod, the API server runs its
 * own admission plugins again (ServiceAccount admission mounts the token into every container that
 * lacks it, the new ones included) and fills defaulted fields; if that changes the pod, it calls
 * the webhook a second time. So the first answer gives the containers kafka-warden adds the
 * pod's token mount itself and states the defaults it would get (measured on a real API server:
 * one call per pod, bench/README.md), and a second answer, should one be asked for, is an empty
 * patch: taking the token mount or a default away would leave kafka-warden's containers unlike
 * every other container and make the webhook's answer never settle.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyPatch, type Operation } from 'fast-json-patch';
import { parseAllDocuments } from 'yaml';
import { mutate } from '../../../src/admission/mutate';
import type { AdmissionRequest } from '../../../src/admission/review';
import { resolveConfig } from '../../../src/core/config';
import { STATUS_ANNOTATION } from '../../../src/core/injection-status';
import type { Container, KubeObject } from '../../../src/core/k8s-types';
import { sharedDir } from '../../support/paths';

const TOKEN_VOLUME = 'kube-api-access-x7k2p';
const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

interface PodLike extends KubeObject {
  spec: {
    containers: Container[];
    initContainers?: Container[];
    volumes?: object[];
    hostname?: string;
    subdomain?: string;
    automountServiceAccountToken?: boolean;
  };
}

function brokerPod(): PodLike {
  const sts = parseAllDocuments(
    readFileSync(
      path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
      'utf8',
    ),
  )
    .map((d) => d.toJS() as KubeObject & { spec: { template: PodLike } })
    .find((o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka');
  if (!sts) throw new Error('no broker StatefulSet in the render');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...sts.spec.template.metadata,
      name: 'my-cp-cp-kafka-0',
      namespace: 'kafka',
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          name: 'my-cp-cp-kafka',
          uid: 'u',
        },
      ],
    },
    spec: {
      ...sts.spec.template.spec,
      hostname: 'my-cp-cp-kafka-0',
      subdomain: 'my-cp-cp-kafka-headless',
    },
  };
}

/** What ServiceAccount admission and defaulting do to a pod, as the API server does before and after webhooks. */
function admittedByTheApiServer(pod: PodLike): PodLike {
  const out = structuredClone(pod);
  const volumes = (out.spec.volumes ??= []) as { name: string }[];
  if (!volumes.some((v) => v.name === TOKEN_VOLUME)) {
    volumes.push({
      name: TOKEN_VOLUME,
      projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] },
    } as { name: string });
  }
  for (const c of [...out.spec.containers, ...(out.spec.initContainers ?? [])]) {
    if (!c.volumeMounts?.some((m) => m.mountPath === TOKEN_PATH)) {
      c.volumeMounts = [
        ...(c.volumeMounts ?? []),
        { name: TOKEN_VOLUME, mountPath: TOKEN_PATH, readOnly: true },
      ];
    }
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    for (const port of c.ports ?? []) port.protocol ??= 'TCP';
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      if (!probe) continue;
      probe.successThreshold ??= 1;
      probe.failureThreshold ??= 3;
      probe.periodSeconds ??= 10;
      probe.timeoutSeconds ??= 1;
    }
  }
  return out;
}

function review(pod: PodLike): AdmissionRequest {
  return {
    apiVersion: 'admission.k8s.io/v1',
    uid: 'u',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: 'CREATE',
    namespace: 'kafka',
    object: structuredClone(pod),
    dryRun: false,
  };
}

const options = { config: resolveConfig(), mutateStatefulSets: false };

/** The pod kafka-warden's answer makes of `pod`. */
function injected(pod: PodLike): PodLike {
  const answer = mutate(review(pod), options);
  return applyPatch(structuredClone(pod), (answer.patch ?? []) as Operation[], false, false)
    .newDocument;
}

describe('a reinvoked mutating webhook (reinvocationPolicy: IfNeeded)', () => {
  const first = admittedByTheApiServer(brokerPod());
  const firstAnswer = mutate(review(first), options);
  const patched = injected(first);
  const second = admittedByTheApiServer(patched);
  const secondAnswer = mutate(review(second), options);

  test('the first call injects', () => {
    expect(firstAnswer.result).toBe('injected');
  });

  test("a Pod's record lists what kafka-warden owns, without the values it replaced (a Pod never gets them back)", () => {
    const record = JSON.parse(patched.metadata?.annotations?.[STATUS_ANNOTATION] ?? '{}') as object;
    expect(record).toMatchObject({
      role: 'kafka',
      containers: ['prometheus-jmx-exporter'],
      initContainers: ['kafka-warden-init'],
    });
    expect(record).not.toHaveProperty('originals');
  });

  test('the second call, after ServiceAccount admission and defaulting ran again, changes nothing', () => {
    expect(secondAnswer.patch ?? []).toEqual([]);
    expect(secondAnswer.result).toBe('unchanged');
  });

  test('the rebuilt exporter sidecar keeps the token mount it had; the new init container gets the same one', () => {
    const exporter = patched.spec.containers.find((c) => c.name === 'prometheus-jmx-exporter');
    expect(exporter?.volumeMounts).toContainEqual({
      name: TOKEN_VOLUME,
      mountPath: TOKEN_PATH,
      readOnly: true,
    });
    const init = patched.spec.initContainers?.find((c) => c.name === 'kafka-warden-init');
    expect(init?.volumeMounts).toContainEqual({
      name: TOKEN_VOLUME,
      mountPath: TOKEN_PATH,
      readOnly: true,
    });
  });

  test('after the first answer, ServiceAccount admission has nothing left to add (so no second call)', () => {
    // Defaulting is part of applying the patch (the API server decodes the patched object with
    // defaults), so it is not a change after the webhook; a token mount added afterwards would be.
    const mounts = (pod: PodLike) =>
      [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.volumeMounts);
    expect(mounts(second)).toEqual(mounts(patched));
    expect(second.spec.volumes).toEqual(patched.spec.volumes);
  });

  test("automountServiceAccountToken: false, and a token of the user's own mounted in the broker: kafka-warden's containers get no token", () => {
    const pod = brokerPod();
    pod.spec.automountServiceAccountToken = false;
    pod.spec.volumes = [
      ...(pod.spec.volumes ?? []),
      {
        name: 'vault-token',
        projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'vault' } }] },
      },
    ];
    const broker = pod.spec.containers.find((c) => c.name === 'cp-kafka-broker');
    broker!.volumeMounts = [
      ...(broker!.volumeMounts ?? []),
      { name: 'vault-token', mountPath: TOKEN_PATH, readOnly: true },
    ];
    const after = injected(pod);
    const init = after.spec.initContainers?.find((c) => c.name === 'kafka-warden-init');
    const exporter = after.spec.containers.find((c) => c.name === 'prometheus-jmx-exporter');
    for (const container of [init, exporter]) {
      expect(container).toBeDefined();
      expect(container?.volumeMounts?.map((m) => m.mountPath)).not.toContain(TOKEN_PATH);
    }
    // The broker keeps the user's mount.
    expect(
      after.spec.containers.find((c) => c.name === 'cp-kafka-broker')?.volumeMounts,
    ).toContainEqual({ name: 'vault-token', mountPath: TOKEN_PATH, readOnly: true });
  });

  test('a pod whose template went through the post-renderer is answered with an empty patch at once', () => {
    const again = admittedByTheApiServer(patched);
    expect(mutate(review(again), options).patch ?? []).toEqual([]);
  });
});
