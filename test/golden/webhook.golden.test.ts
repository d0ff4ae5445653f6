/**
 * The mutating webhook as the second door into the golden cases. Each configuration either gives
 * the post-renderer's result through the webhook or is refused by `serve` at start-up (never half):
 *
 * - refused configurations: `webhookRefusals` names each setting, and `serve --config` exits
 *   with KW_CONFIG_WEBHOOK before it listens (once per configuration file);
 * - otherwise a Pod created from each stock workload (brokers, ZooKeeper and the chart's other
 *   components), sent to POST /mutate, with the returned patch applied, carries exactly the pod
 *   template the post-renderer produced (its record without the values it replaced, which
 *   nothing restores in a Pod); so does each StatefulSet sent with
 *   `--mutate-statefulsets`; and a Pod of the post-rendered template gets an empty patch;
 * - the one refusal that depends on the chart's values (nodeport mode without the chart's NodePort
 *   Services) admits the broker unchanged with a warning naming the setting;
 * - the webhook's warnings otherwise are the post-renderer's notices for the same case.
 */
import { readFileSync } from 'node:fs';
import { applyPatch, type Operation } from 'fast-json-patch';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { brokerContextOf } from '../../src/core/broker-context';
import { resolveConfig } from '../../src/core/config';
import { detectWorkload } from '../../src/core/detect';
import { STATUS_ANNOTATION } from '../../src/core/injection-status';
import { transformManifests } from '../../src/core/transform-manifests';
import type { KubeObject, PodTemplate, StatefulSetSpec } from '../../src/core/k8s-types';
import { webhookBrokerRefusal, webhookRefusals } from '../../src/core/webhook-scope';
import { loadConfigFile } from '../../src/config/load-config';
import { mutationApp } from '../support/app';
import { admissionReview, podFromStatefulSet } from '../support/pods';
import { runCli } from '../support/run-cli';
import { goldenCases } from './cases';

const WORKLOADS = new Set(['StatefulSet', 'Deployment']);
const workloads = (file: string) =>
  parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => WORKLOADS.has(o?.kind ?? ''));
const templateOf = (o: KubeObject | undefined) => (o?.spec as StatefulSetSpec).template;

interface Review {
  response: {
    uid: string;
    allowed: boolean;
    patch?: string;
    patchType?: string;
    warnings?: string[];
  };
}

const patchOf = (review: Review) =>
  review.response.patch
    ? (JSON.parse(Buffer.from(review.response.patch, 'base64').toString()) as Operation[])
    : [];

const cases = goldenCases();

/**
 * The annotations of a post-rendered template as a Pod the webhook injected carries them: the
 * record without the values kafka-warden replaced, which nothing restores in a Pod
 * (src/admission/mutate.ts).
 */
function recordWithoutOriginals(annotations: Record<string, string> | undefined) {
  const record = annotations?.[STATUS_ANNOTATION];
  if (!annotations || record === undefined) return annotations;
  const owned = JSON.parse(record) as { originals?: unknown };
  delete owned.originals;
  return { ...annotations, [STATUS_ANNOTATION]: JSON.stringify(owned) };
}

describe('serve refuses what the webhook cannot do whole', () => {
  const configs = [...new Set(cases.flatMap((c) => (c.config ? [c.config] : [])))];
  const refused = configs.filter((file) => webhookRefusals(loadConfigFile(file)).length > 0);

  test.each(refused.map((f) => [f.replace(/.*\//, ''), f] as const))(
    'serve --config %s exits before listening, naming each setting',
    (_n, file) => {
      const result = runCli(['serve', '--config', file, '--no-kube', '--port', '0']);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('KW_CONFIG_WEBHOOK');
      for (const refusal of webhookRefusals(loadConfigFile(file))) {
        expect(result.stderr).toContain(`${refusal.setting}: ${refusal.value}`);
      }
    },
  );
});

describe.each(cases.map((c) => [c.name, c] as const))(
  '%s through POST /mutate',
  (_name, testCase) => {
    const config = testCase.config ? loadConfigFile(testCase.config) : resolveConfig();
    if (webhookRefusals(config).length > 0) {
      test('is refused at start-up (above)', () => {
        expect(webhookRefusals(config).map((r) => r.setting).length).toBeGreaterThan(0);
      });
      return;
    }
    const { app } = mutationApp(config);
    const { app: statefulSetApp } = mutationApp(config, undefined, true);
    const inputs = workloads(testCase.input);
    const expected = workloads(testCase.expected);
    // The post-renderer's notices for the case, without the object each names: the webhook names
    // the pod instead, and must say nothing else.
    const withoutSubject = (text: string) => text.replace(/^[^:]+: /, '');
    const caseNotices = transformManifests(
      parseAllDocuments(readFileSync(testCase.input, 'utf8')).map(
        (d) => (d.toJS() as KubeObject | null) ?? undefined,
      ),
      config,
    ).notices.map((n) => withoutSubject(n.message));
    const expectNoticesOnly = (review: Review) => {
      for (const warning of review.response.warnings ?? []) {
        expect(caseNotices).toContain(withoutSubject(warning));
      }
    };
    const wantedFor = (o: KubeObject) =>
      templateOf(expected.find((e) => e.kind === o.kind && e.metadata?.name === o.metadata?.name));
    /** The per-pod refusal, for brokers whose chart values the webhook cannot complete. */
    const refusalFor = (o: KubeObject) => {
      const template = templateOf(o);
      const detected = detectWorkload(template?.metadata, template?.spec, config);
      if (o.kind !== 'StatefulSet' || detected?.role !== 'kafka') return null;
      return webhookBrokerRefusal(brokerContextOf(o), config);
    };

    test.each(inputs.map((o) => [`${o.kind} ${o.metadata?.name ?? ''}`, o] as const))(
      'a pod of %s gets the post-renderer template, or is refused whole',
      async (_n, workload) => {
        const pod = podFromStatefulSet(workload, 1);
        const res = await request(app).post('/mutate').send(admissionReview(pod)).expect(200);
        const review = res.body as Review;
        expect(review.response.allowed).toBe(true);
        const refusal = refusalFor(workload);
        if (refusal) {
          expect(review.response.patch).toBeUndefined();
          expect(review.response.warnings?.[0]).toContain('listeners.external.mode nodeport');
          return;
        }
        expectNoticesOnly(review);
        const patched = applyPatch(structuredClone(pod), patchOf(review), true, false).newDocument;
        const wanted = wantedFor(workload);
        const serviceName = (workload.spec as StatefulSetSpec).serviceName;
        expect(patched.spec).toEqual({
          ...wanted?.spec,
          hostname: pod.spec && (pod.spec as { hostname: string }).hostname,
          ...(serviceName ? { subdomain: serviceName } : {}),
        });
        expect(patched.metadata?.annotations).toEqual(
          recordWithoutOriginals(wanted?.metadata?.annotations),
        );
      },
    );

    test.each(
      inputs
        .filter((o) => o.kind === 'StatefulSet')
        .map((o) => [o.metadata?.name ?? '', o] as const),
    )(
      'StatefulSet %s with --mutate-statefulsets gets the post-renderer template',
      async (_n, sts) => {
        const res = await request(statefulSetApp)
          .post('/mutate')
          .send(admissionReview(sts))
          .expect(200);
        const review = res.body as Review;
        if (refusalFor(sts)) {
          expect(review.response.patch).toBeUndefined();
          expect(review.response.warnings?.[0]).toContain('listeners.external.mode nodeport');
          return;
        }
        expectNoticesOnly(review);
        const patched = applyPatch(structuredClone(sts), patchOf(review), true, false).newDocument;
        expect(templateOf(patched) as PodTemplate).toEqual(wantedFor(sts));
      },
    );

    test.each(expected.map((o) => [`${o.kind} ${o.metadata?.name ?? ''}`, o] as const))(
      'a pod of the post-rendered %s gets no patch',
      async (_n, workload) => {
        const res = await request(app)
          .post('/mutate')
          .send(admissionReview(podFromStatefulSet(workload, 0)))
          .expect(200);
        const review = res.body as Review;
        const { warnings, ...rest } = review.response;
        expect(rest).toEqual({ uid: 'e911857d-c318-11e8-bbad-025000000001', allowed: true });
        if (warnings) expectNoticesOnly(review);
      },
    );
  },
);
