import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveConfig, type PartialConfig } from '../../../src/core/config';
import type { KubeObject, PodSpec, PodTemplate } from '../../../src/core/k8s-types';
import {
  ALL_READ_MODE,
  effectiveUser,
  GROUP_READ_MODE,
  imageDefaultUser,
  ROOT_READ_MODE,
  secretModeFor,
} from '../../../src/core/secret-modes';
import { transformManifests } from '../../../src/core/transform-manifests';
import { sharedDir } from '../../support/paths';

function chart(version: '0.5.0' | '0.6.1'): KubeObject[] {
  return parseAllDocuments(
    readFileSync(
      path.join(sharedDir(), 'cp-helm-charts', 'rendered', version, 'default.yaml'),
      'utf8',
    ),
  )
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

const TLS_ONLY: PartialConfig = { tls: { keepPlaintext: false } };
const SASL_TLS_ONLY: PartialConfig = { tls: { keepPlaintext: false }, sasl: { enabled: true } };

function release(objects: KubeObject[], partial: PartialConfig): KubeObject[] {
  const copy = structuredClone(objects);
  transformManifests(copy, resolveConfig(partial));
  return copy;
}

/** Every Secret volume kafka-warden added, by workload, with its mode. */
function secretModes(objects: KubeObject[]): Record<string, Record<string, number | undefined>> {
  const out: Record<string, Record<string, number | undefined>> = {};
  for (const object of objects) {
    const template = (object.spec as { template?: PodTemplate } | undefined)?.template;
    for (const volume of template?.spec?.volumes ?? []) {
      if (!volume.name.startsWith('kafka-warden') || !volume.secret) continue;
      (out[object.metadata?.name ?? ''] ??= {})[volume.name] = volume.secret.defaultMode;
    }
  }
  return out;
}

describe('the mode of a mounted Secret follows the user its containers really run as', () => {
  test.each([
    ['confluentinc/cp-schema-registry:6.1.0', 1000],
    ['registry.example.com/mirror/confluentinc/cp-kafka-rest:7.4.1@sha256:abc', 1000],
    ['confluentinc/cp-enterprise-kafka:5.5.0', 0],
    ['confluentinc/cp-ksqldb-server:latest', undefined],
    ['bitnami/kafka:3.9', undefined],
  ])("the image %s runs as uid %s when the pod doesn't say", (image, uid) => {
    expect(imageDefaultUser(image)).toBe(uid);
  });

  test('runAsUser of the container wins over the pod, the pod over the image', () => {
    const image = 'confluentinc/cp-schema-registry:6.1.0';
    const spec = (pod?: number): PodSpec => ({
      containers: [],
      ...(pod === undefined ? {} : { securityContext: { runAsUser: pod } }),
    });
    expect(effectiveUser(spec(), { name: 'c', image })).toBe(1000);
    expect(effectiveUser(spec(0), { name: 'c', image })).toBe(0);
    expect(effectiveUser(spec(0), { name: 'c', image, securityContext: { runAsUser: 7 } })).toBe(7);
  });

  test('root everywhere: 0400; a non-root user with fsGroup: 0440; without: 0444', () => {
    const root = { name: 'b', image: 'x', securityContext: { runAsUser: 0 } };
    const appuser = { name: 'c', image: 'confluentinc/cp-kafka-connect:6.1.0' };
    expect(secretModeFor({ containers: [root] }, [root])).toBe(ROOT_READ_MODE);
    expect(secretModeFor({ containers: [root, appuser] }, [root, appuser])).toBe(ALL_READ_MODE);
    expect(
      secretModeFor({ containers: [appuser], securityContext: { fsGroup: 1000 } }, [appuser]),
    ).toBe(GROUP_READ_MODE);
    // An image kafka-warden does not know may run as anyone.
    expect(secretModeFor({ containers: [] }, [{ name: 'u', image: 'bitnami/kafka:3' }])).toBe(
      ALL_READ_MODE,
    );
  });

  test('cp-helm-charts 0.6.1 without PLAINTEXT: the 6.x components (appuser) can read their client Secrets; the root brokers keep 0400', () => {
    const modes = secretModes(release(chart('0.6.1'), SASL_TLS_ONLY));
    expect(modes['my-cp-cp-kafka']).toEqual({
      'kafka-warden-tls': ROOT_READ_MODE,
      'kafka-warden-jaas': ROOT_READ_MODE,
    });
    for (const component of [
      'my-cp-cp-schema-registry',
      'my-cp-cp-kafka-connect',
      'my-cp-cp-kafka-rest',
      'my-cp-cp-ksql-server',
      'my-cp-cp-control-center',
    ]) {
      expect(Object.values(modes[component] ?? {})).toEqual([ALL_READ_MODE, ALL_READ_MODE]);
    }
  });

  test('cp-helm-charts 0.5.0 (5.5 images, root): every Secret stays 0400', () => {
    const modes = secretModes(release(chart('0.5.0'), TLS_ONLY));
    const all = Object.values(modes).flatMap((m) => Object.values(m));
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(new Set(all)).toEqual(new Set([ROOT_READ_MODE]));
  });

  test('brokers a platform runs as non-root (pod runAsUser and fsGroup) get group-readable keystores', () => {
    const objects = chart('0.6.1');
    const sts = objects.find(
      (o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka',
    ) as KubeObject;
    const spec = (sts.spec as { template: PodTemplate }).template.spec as PodSpec;
    for (const container of spec.containers) delete container.securityContext;
    spec.securityContext = { runAsUser: 1000, fsGroup: 1000 };
    const modes = secretModes(release(objects, SASL_TLS_ONLY));
    expect(modes['my-cp-cp-kafka']).toEqual({
      'kafka-warden-tls': GROUP_READ_MODE,
      'kafka-warden-jaas': GROUP_READ_MODE,
    });
  });
});
