/**
 * The mutating webhook as the second door into the golden cases: a Pod created from the stock
 * chart's StatefulSet, sent to POST /mutate, with the returned patch applied, must carry exactly
 * the pod template the post-renderer produced for the same case; and a Pod created from the
 * post-rendered template must get an empty patch.
 */
import { readFileSync } from 'node:fs';
import { applyPatch, type Operation } from 'fast-json-patch';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '../../src/core/config';
import type { KubeObject, StatefulSetSpec } from '../../src/core/k8s-types';
import { loadConfigFile } from '../../src/config/load-config';
import { mutationApp } from '../support/app';
import { admissionReview, podFromStatefulSet } from '../support/pods';
import { goldenCases } from './cases';

const workloadSets = (file: string) =>
  parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o?.kind === 'StatefulSet');

interface Review {
  response: { uid: string; allowed: boolean; patch?: string; patchType?: string };
}

// The webhook injects pods only; PLAINTEXT-dropping client changes are the post-renderer's
// (components are Deployments the webhook does not switch).
const cases = goldenCases();

describe.each(cases.map((c) => [c.name, c] as const))(
  '%s through POST /mutate',
  (_name, testCase) => {
    const config = testCase.config ? loadConfigFile(testCase.config) : resolveConfig();
    const { app } = mutationApp(config);
    const inputs = workloadSets(testCase.input);
    const expected = workloadSets(testCase.expected);

    test.each(inputs.map((sts) => [sts.metadata?.name ?? '', sts] as const))(
      'a pod of %s gets the post-renderer template',
      async (name, sts) => {
        const pod = podFromStatefulSet(sts, 1);
        const res = await request(app).post('/mutate').send(admissionReview(pod)).expect(200);
        const review = res.body as Review;
        expect(review.response.allowed).toBe(true);
        const patch = review.response.patch
          ? (JSON.parse(Buffer.from(review.response.patch, 'base64').toString()) as Operation[])
          : [];
        const patched = applyPatch(structuredClone(pod), patch, true, false).newDocument;
        const wanted = expected.find((o) => o.metadata?.name === name);
        const wantedTemplate = (wanted?.spec as StatefulSetSpec).template;
        expect(patched.spec).toEqual({
          ...wantedTemplate?.spec,
          hostname: pod.spec && (pod.spec as { hostname: string }).hostname,
          subdomain: (sts.spec as StatefulSetSpec).serviceName,
        });
        expect(patched.metadata?.annotations).toEqual(wantedTemplate?.metadata?.annotations);
      },
    );

    test.each(expected.map((sts) => [sts.metadata?.name ?? '', sts] as const))(
      'a pod of the post-rendered %s gets no patch',
      async (_n, sts) => {
        const res = await request(app)
          .post('/mutate')
          .send(admissionReview(podFromStatefulSet(sts, 0)))
          .expect(200);
        const review = res.body as Review;
        expect(review.response).toEqual({
          uid: 'e911857d-c318-11e8-bbad-025000000001',
          allowed: true,
        });
      },
    );
  },
);
