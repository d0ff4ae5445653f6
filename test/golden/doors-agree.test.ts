/**
 * The golden cases through every door at once: `check` (offline policy), `render` (the
 * post-renderer, which applies the create-time rules) and POST /validate (the validating webhook)
 * reach the same verdict on each case, and where the render is allowed it is exactly the expected
 * golden output. The Helm 3 executable, which runs `render` from a startup snapshot, answers
 * exactly as `kafka-warden render` does.
 */
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { validate } from '../../src/admission/validate';
import type { KubeObject } from '../../src/core/k8s-types';
import { evaluate } from '../../src/policy/engine';
import { parseManifests } from '../../src/policy/parse-manifests';
import { mutationApp } from '../support/app';
import { admissionReview } from '../support/pods';
import { runCli, runPostRenderer } from '../support/run-cli';
import { goldenCases } from './cases';

interface CheckReport {
  allowed: boolean;
  notices: { setting: string; message: string }[];
  results: { name: string; allowed: boolean; denials: { rule: string }[] }[];
}
interface Review {
  response: { allowed: boolean; status?: { message: string } };
}

const { app } = mutationApp(undefined, (r) => validate(r, (pr) => evaluate(pr)));

describe.each(goldenCases().map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
  const configArgs = testCase.config ? ['--config', testCase.config] : [];
  const input = readFileSync(testCase.input, 'utf8');
  const check = runCli(['check', '--output', 'json', ...configArgs, testCase.input]);
  const report = JSON.parse(check.stdout) as CheckReport;
  const deniedRules = report.results.flatMap((r) => r.denials.map((d) => d.rule)).sort();

  test('check, render and the validating webhook agree', async () => {
    expect(check.status).toBe(report.allowed ? 0 : 1);
    const render = runCli(['render', ...configArgs], input);
    if (report.allowed) {
      expect(render.status).toBe(0);
      expect(render.stdout).toBe(readFileSync(testCase.expected, 'utf8'));
      // One list of notices, shown by both doors.
      const shown = render.stderr.split('\n').filter((l) => l.includes(': warning: '));
      for (const notice of report.notices) {
        expect(shown).toContain(`kafka-warden render: warning: ${notice.message}`);
      }
    } else {
      expect(render.status).toBe(1);
      expect(render.stdout).toBe('');
      for (const rule of deniedRules) expect(render.stderr).toContain(`[${rule}]`);
    }
    expect(runPostRenderer(configArgs, input)).toEqual(render);
    const statefulSets = parseManifests(input, testCase.input)
      .map((s) => s.object)
      .filter((o: KubeObject) => o.kind === 'StatefulSet');
    const webhookDenied: string[] = [];
    for (const sts of statefulSets) {
      const res = await request(app).post('/validate').send(admissionReview(sts)).expect(200);
      const review = res.body as Review;
      const rules = [...(review.response.status?.message ?? '').matchAll(/^\[([a-z-]+)\]/gm)].map(
        (m) => m[1] as string,
      );
      webhookDenied.push(...rules);
      const fromCheck = report.results.find((r) => r.name === sts.metadata?.name);
      expect(review.response.allowed).toBe(fromCheck?.allowed ?? true);
    }
    expect(webhookDenied.sort()).toEqual(deniedRules);
  });
});
