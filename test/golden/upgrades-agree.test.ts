/**
 * The upgrade golden cases through every door: `check --old` (whose text output is the golden
 * file), `render --previous` on the chart's render (the post-renderer on `helm upgrade`) and POST
 * /validate with the deployed StatefulSet as the old object. All three reach the same verdict per
 * workload, deny by the same rules, and say the same thing: each denial's message appears in the
 * render's refusal and in the webhook's answer. Where the upgrade is allowed, the render is
 * exactly the golden output `check` judged.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { validate } from '../../src/admission/validate';
import type { KubeObject } from '../../src/core/k8s-types';
import { evaluate } from '../../src/policy/engine';
import { parseManifests } from '../../src/policy/parse-manifests';
import { mutationApp } from '../support/app';
import { admissionReview } from '../support/pods';
import { runCli } from '../support/run-cli';
import { upgradeCases } from './cases';

const UPDATE = process.env.KW_UPDATE_GOLDEN === '1';

interface CheckReport {
  allowed: boolean;
  results: {
    name: string;
    operation: string;
    allowed: boolean;
    denials: { rule: string; message: string }[];
  }[];
}
interface Review {
  response: { allowed: boolean; status?: { message: string } };
}

const { app } = mutationApp(undefined, (r) => validate(r, (pr) => evaluate(pr)));

function statefulSets(file: string): KubeObject[] {
  return parseManifests(readFileSync(file, 'utf8'), file)
    .map((s) => s.object)
    .filter((o) => o.kind === 'StatefulSet');
}

describe.each(upgradeCases().map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
  const configArgs = testCase.config ? ['--config', testCase.config] : [];
  const check = runCli(['check', '--old', testCase.previous, testCase.rendered]);
  const json = runCli(['check', '--output', 'json', '--old', testCase.previous, testCase.rendered]);
  const report = JSON.parse(json.stdout) as CheckReport;
  const denials = report.results.flatMap((r) => r.denials);

  test('check --old prints the expected verdict', () => {
    if (UPDATE) {
      mkdirSync(path.dirname(testCase.expected), { recursive: true });
      writeFileSync(testCase.expected, check.stdout);
    }
    expect(check.stdout).toBe(readFileSync(testCase.expected, 'utf8'));
    expect(check.status).toBe(report.allowed ? 0 : 1);
    expect(report.results.map((r) => r.operation)).toEqual(['UPDATE', 'UPDATE']);
  });

  test('render --previous agrees: the golden output when allowed, every denial when refused', () => {
    const input = readFileSync(testCase.input, 'utf8');
    const render = runCli(['render', '--previous', testCase.previous, ...configArgs], input);
    if (report.allowed) {
      expect(render.status).toBe(0);
      expect(render.stdout).toBe(readFileSync(testCase.rendered, 'utf8'));
    } else {
      expect(render.status).toBe(1);
      expect(render.stdout).toBe('');
      for (const denial of denials) {
        expect(render.stderr).toContain(`[${denial.rule}] ${denial.message}`);
      }
    }
  });

  test('the validating webhook agrees, workload by workload, with the same messages', async () => {
    const old = statefulSets(testCase.previous);
    for (const object of statefulSets(testCase.rendered)) {
      const name = object.metadata?.name;
      const oldObject = old.find((o) => o.metadata?.name === name);
      const res = await request(app)
        .post('/validate')
        .send(admissionReview(object, { operation: 'UPDATE', oldObject }))
        .expect(200);
      const review = res.body as Review;
      const fromCheck = report.results.find((r) => r.name === name);
      expect(review.response.allowed).toBe(fromCheck?.allowed);
      const message = review.response.status?.message ?? '';
      const rules = [...message.matchAll(/^\[([a-z-]+)\]/gm)].map((m) => m[1]);
      expect(rules).toEqual(fromCheck?.denials.map((d) => d.rule));
      for (const denial of fromCheck?.denials ?? []) expect(message).toContain(denial.message);
    }
  });
});
