/**
 * Silent no-ops become notices: the transformation returns them as one list, and each door shows
 * it (render on stderr, the webhook as admission warnings, check in its report).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { resolveConfig, type PartialConfig } from '../../../src/core/config';
import type { KubeObject, StatefulSetSpec } from '../../../src/core/k8s-types';
import { transformManifests } from '../../../src/core/transform-manifests';
import { mutationApp } from '../../support/app';
import { admissionReview, podFromStatefulSet } from '../../support/pods';
import { sharedDir } from '../../support/paths';
import { runCli } from '../../support/run-cli';

const rendered = (version: string, valueSet: string) =>
  path.join(sharedDir(), 'cp-helm-charts', 'rendered', version, `${valueSet}.yaml`);
const objectsOf = (file: string) =>
  parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
const notices = (file: string, partial: PartialConfig = {}) =>
  transformManifests(objectsOf(file), resolveConfig(partial)).notices;
const TLS_ONLY: PartialConfig = { tls: { keepPlaintext: false } };

/** A broker StatefulSet detection misses: relabelled and its container renamed. */
function undetectedBroker(): KubeObject {
  const sts = objectsOf(rendered('0.6.1', 'default')).find(
    (o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka',
  ) as KubeObject;
  const template = (sts.spec as StatefulSetSpec).template;
  if (!template?.metadata?.labels || !template.spec) throw new Error('unexpected render');
  template.metadata.labels.app = 'kafka';
  for (const c of template.spec.containers) if (c.name === 'cp-kafka-broker') c.name = 'broker';
  return sts;
}

describe('the transformation returns its notices', () => {
  test('a stock release with the defaults gives none', () => {
    expect(notices(rendered('0.6.1', 'default'))).toEqual([]);
  });

  test("the chart's NodePort access with listeners.external.mode none", () => {
    const found = notices(rendered('0.6.1', 'nodeport'));
    expect(found).toEqual([
      expect.objectContaining({
        setting: 'listeners.external.mode',
        message: expect.stringMatching(
          /^StatefulSet my-cp-cp-kafka: the chart's external access is on .*NodePorts from 31090.*set listeners.external.mode: nodeport/,
        ) as string,
      }),
    ]);
    expect(
      notices(rendered('0.6.1', 'nodeport'), { listeners: { external: { mode: 'nodeport' } } }),
    ).toEqual([]);
  });

  test("0.5.0's REST Proxy cannot be switched when PLAINTEXT is dropped", () => {
    const found = notices(rendered('0.5.0', 'default'), TLS_ONLY);
    expect(found).toHaveLength(1);
    expect(found[0]?.setting).toBe('tls.keepPlaintext');
    expect(found[0]?.message).toMatch(
      /^Deployment my-cp-cp-kafka-rest: .*KAFKA_REST_ZOOKEEPER_CONNECT/,
    );
    expect(notices(rendered('0.5.0', 'default'))).toEqual([]);
    expect(notices(rendered('0.6.1', 'default'), TLS_ONLY)).toEqual([]);
  });

  test('a broker image detection missed', () => {
    const found = transformManifests([undetectedBroker()], resolveConfig()).notices;
    expect(found.map((n) => n.setting)).toEqual(['detection.kafka']);
    expect(found[0]?.message).toMatch(
      /^StatefulSet my-cp-cp-kafka: container broker runs confluentinc\/cp-enterprise-kafka:.* not detected .*detection.kafka.containerNames/,
    );
  });
});

describe('each door shows them', () => {
  test('render: on stderr, with the output unchanged', () => {
    const config = path.join(__dirname, '..', '..', 'golden', 'configs', 'tls-only.yaml');
    const result = runCli(
      ['render', '--config', config],
      readFileSync(rendered('0.5.0', 'default'), 'utf8'),
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      /^kafka-warden render: warning: Deployment my-cp-cp-kafka-rest: .*tls.keepPlaintext: true/m,
    );
  });

  test('check: NOTICE lines, and notices in the JSON report', () => {
    const text = runCli(['check', rendered('0.6.1', 'nodeport')]);
    expect(text.stdout).toMatch(/^NOTICE StatefulSet my-cp-cp-kafka: .*listeners.external.mode/m);
    const json = JSON.parse(
      runCli(['check', '-o', 'json', rendered('0.6.1', 'nodeport')]).stdout,
    ) as {
      notices: { setting: string }[];
    };
    expect(json.notices.map((n) => n.setting)).toEqual(['listeners.external.mode']);
  });

  test('the webhook: admission warnings, on an injected broker pod', async () => {
    const sts = objectsOf(rendered('0.6.1', 'nodeport')).find(
      (o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka',
    ) as KubeObject;
    const { app } = mutationApp();
    const res = await request(app)
      .post('/mutate')
      .send(admissionReview(podFromStatefulSet(sts, 0)));
    const response = (res.body as { response: { patch?: string; warnings?: string[] } }).response;
    expect(response.patch).toBeDefined();
    expect(response.warnings).toEqual([
      expect.stringMatching(
        /^Pod default\/my-cp-cp-kafka-0: the chart's external access is on/,
      ) as string,
    ]);
  });

  test('the webhook: admission warnings, on a pod detection missed', async () => {
    const { app } = mutationApp();
    const res = await request(app)
      .post('/mutate')
      .send(admissionReview(podFromStatefulSet(undetectedBroker(), 0)));
    const response = (res.body as { response: { patch?: string; warnings?: string[] } }).response;
    expect(response.patch).toBeUndefined();
    expect(response.warnings?.[0]).toMatch(/container broker .* not detected .*detection.kafka/);
  });
});
