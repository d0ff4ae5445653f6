/**
 * Intent annotations (plans, acknowledgements, a deletion reason) are read from the StatefulSet or
 * its pod template, because cp-helm-charts users can only set the latter (`podAnnotations`).
 * Exemptions are not: they count only from the StatefulSet's own annotations as it was.
 */
import type { ClusterStateProbe } from '../../../src/policy/cluster-state';
import { evaluate } from '../../../src/policy/engine';
import { configMapPlanSource } from '../../../src/policy/plan-source';
import type { PolicyRequest } from '../../../src/policy/types';
import { create, deniedBy, findingOf, kafka, remove, update, zookeeper } from './fixtures';

const PLAN = 'kafka-warden.io/reassignment-plan';
const PLAN_CM = 'kafka-warden.io/reassignment-plan-configmap';
const SCALE_UP_ACK = 'kafka-warden.io/scale-up-acknowledged';
const ENSEMBLE_ACK = 'kafka-warden.io/ensemble-change-acknowledged';
const REASON = 'kafka-warden.io/deletion-reason';
const EXEMPT_SCALING = 'kafka-warden.io/exempt-broker-scaling';

const OFF_3_AND_4 = JSON.stringify({
  version: 1,
  partitions: [{ topic: 'orders', partition: 0, replicas: [0, 1, 2] }],
});

const CASES: [name: string, rule: string, req: PolicyRequest, outcome: string, mention: string][] =
  [
    [
      'a scale-up acknowledged in the pod template is acknowledged',
      'broker-scaling',
      update(kafka(), kafka({ replicas: 5, podAnnotations: { [SCALE_UP_ACK]: 'audit topics' } })),
      'pass',
      'acknowledged: audit topics',
    ],
    [
      'a scale-down with the plan inline in the pod template is judged by that plan',
      'broker-scaling',
      update(kafka({ replicas: 5 }), kafka({ podAnnotations: { [PLAN]: OFF_3_AND_4 } })),
      'pass',
      `annotation ${PLAN}`,
    ],
    [
      'a plan in the pod template is judged, not trusted: one that moves nothing denies',
      'broker-scaling',
      update(
        kafka({ replicas: 5 }),
        kafka({ podAnnotations: { [PLAN]: '{"version":1,"partitions":[]}' } }),
      ),
      'fail',
      'moves nothing',
    ],
    [
      'a plan on the StatefulSet and another in the pod template are one plan too many',
      'broker-scaling',
      update(
        kafka({ replicas: 5 }),
        kafka({ annotations: { [PLAN]: OFF_3_AND_4 }, podAnnotations: { [PLAN_CM]: 'plan' } }),
      ),
      'fail',
      'not both',
    ],
    [
      "an empty acknowledgement on the StatefulSet gives way to the pod template's reason",
      'broker-scaling',
      update(
        kafka(),
        kafka({
          replicas: 5,
          annotations: { [SCALE_UP_ACK]: '' },
          podAnnotations: { [SCALE_UP_ACK]: 'CHG-9' },
        }),
      ),
      'pass',
      'acknowledged: CHG-9',
    ],
    [
      'an empty acknowledgement in the pod template is still called empty',
      'broker-scaling',
      update(kafka(), kafka({ replicas: 5, podAnnotations: { [SCALE_UP_ACK]: ' ' } })),
      'fail',
      'present but empty',
    ],
    [
      'a ZooKeeper ensemble change acknowledged in the pod template is acknowledged',
      'zookeeper-ensemble',
      update(
        zookeeper(),
        zookeeper({ replicas: 5, podAnnotations: { [ENSEMBLE_ACK]: 'CHG-7: grow to 5' } }),
      ),
      'pass',
      'acknowledged: CHG-7: grow to 5',
    ],
    [
      'a deletion reason in the pod template of the StatefulSet deleted counts',
      'delete-protection',
      remove(kafka({ podAnnotations: { [REASON]: 'CHG-3: recreate' } })),
      'pass',
      'deletion reason: CHG-3: recreate',
    ],
  ];

describe('intent annotations in the pod template', () => {
  test.each(CASES)('%s', async (_name, rule, req, outcome, mention) => {
    const finding = await findingOf(rule, req);
    expect(finding.outcome).toBe(outcome);
    expect(`${finding.summary}\n${finding.message}`).toContain(mention);
  });

  test('a plan ConfigMap named in the pod template is read', async () => {
    const plan = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'shrink', namespace: 'kafka' },
      data: { 'plan.json': OFF_3_AND_4 },
    };
    const finding = await findingOf(
      'broker-scaling',
      update(kafka({ replicas: 5 }), kafka({ podAnnotations: { [PLAN_CM]: 'shrink' } })),
      { planSource: configMapPlanSource([plan], 'kafka') },
    );
    expect(finding.outcome).toBe('pass');
    expect(finding.summary).toContain('ConfigMap kafka/shrink key plan.json');
  });
});

describe('exemptions stay on the StatefulSet', () => {
  test('an exemption the old pod template carried exempts nothing', async () => {
    const exempt = { [EXEMPT_SCALING]: 'CHG-12' };
    const verdict = await evaluate(
      update(kafka({ replicas: 5, podAnnotations: exempt }), kafka({ podAnnotations: exempt })),
    );
    expect(deniedBy(verdict)).toEqual(['broker-scaling']);
    expect(verdict.audits).toEqual([]);
  });

  test("an exemption in a created StatefulSet's pod template exempts nothing either", async () => {
    const claims = { listClaimNames: () => Promise.resolve(['datadir-0-my-cp-cp-kafka-4']) };
    const created = kafka({
      replicas: 3,
      podAnnotations: { [EXEMPT_SCALING]: 'CHG-12' },
      spec: { volumeClaimTemplates: [{ metadata: { name: 'datadir-0' } }] },
    });
    const verdict = await evaluate(create(created), { volumeClaims: claims });
    expect(deniedBy(verdict)).toEqual(['broker-scaling']);
  });
});

describe('an intent annotation given through the pod template rolls the brokers', () => {
  const clusterState = (underReplicated: boolean): ClusterStateProbe => ({
    partitionHealth: () =>
      Promise.resolve({
        partitionCount: 4,
        liveBrokers: [0, 1, 2],
        atRisk: underReplicated
          ? [
              {
                name: 'orders-0',
                replicas: [0, 1, 2],
                isr: [0, 1],
                minIsr: 2,
                underReplicated: true,
                atMinIsr: true,
              },
            ]
          : [],
      }),
    replicasOnBrokers: () => Promise.resolve(new Map()),
  });
  const acknowledged = update(
    kafka(),
    kafka({ replicas: 5, podAnnotations: { [SCALE_UP_ACK]: 'audit topics' } }),
  );

  test('so rolling-restart judges it, and says kubectl annotate would roll nothing', async () => {
    const finding = await findingOf('rolling-restart', acknowledged, {
      clusterState: clusterState(true),
    });
    expect(finding.outcome).toBe('fail');
    expect(finding.message).toContain(
      '(metadata.annotations), which restarts every broker one by one (only ' +
        'kafka-warden annotations change there, and that rolls the brokers all the same; ' +
        'kubectl annotate statefulset my-cp-cp-kafka instead restarts nothing)',
    );
  });

  test('and on a healthy cluster it passes like any roll', async () => {
    const finding = await findingOf('rolling-restart', acknowledged, {
      clusterState: clusterState(false),
    });
    expect(finding.outcome).toBe('pass');
    expect(finding.message).toContain('instead restarts nothing');
  });

  test('a template change beyond the annotations gets no such note', async () => {
    const finding = await findingOf(
      'rolling-restart',
      update(
        kafka(),
        kafka({
          image: 'confluentinc/cp-enterprise-kafka:6.1.1',
          podAnnotations: { [SCALE_UP_ACK]: 'x' },
        }),
      ),
      { clusterState: clusterState(true) },
    );
    expect(finding.outcome).toBe('fail');
    expect(finding.message).not.toContain('instead restarts nothing');
  });

  test('the same acknowledgement on the StatefulSet rolls nothing', async () => {
    const finding = await findingOf(
      'rolling-restart',
      update(kafka(), kafka({ replicas: 5, annotations: { [SCALE_UP_ACK]: 'audit topics' } })),
      { clusterState: clusterState(true) },
    );
    expect(finding.outcome).toBe('pass');
    expect(finding.summary).toContain('pod template unchanged');
  });
});
