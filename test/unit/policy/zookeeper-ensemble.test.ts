import { parsePolicy } from '../../../src/config/load-policy';
import type { PolicyRequest } from '../../../src/policy/types';
import { create, findingsOf, update, zookeeper } from './fixtures';

const ACK = 'kafka-warden.io/ensemble-change-acknowledged';

const CASES: [name: string, req: PolicyRequest, outcomes: string[], mentions: string[]][] = [
  ['given an unchanged ensemble of 3, passes', update(zookeeper(), zookeeper()), ['pass'], []],
  [
    'given an ensemble change 3 → 5 without acknowledgement, denies: quorum loss or split brain',
    update(zookeeper(), zookeeper({ replicas: 5 })),
    ['fail'],
    [
      'from 3 to 5',
      'ZOOKEEPER_SERVERS',
      'quorum',
      'two leaders',
      'rollingUpdate.partition',
      `kubectl annotate statefulset my-cp-cp-zookeeper ${ACK}="<reason>"`,
      'chart value cp-zookeeper.podAnnotations',
      'this change restarts every ZooKeeper server anyway',
      'namespaceOverrides.<namespace>.zookeeper-ensemble.mode: warn',
    ],
  ],
  [
    'given an ensemble change acknowledged with a reason, allows',
    update(
      zookeeper(),
      zookeeper({ replicas: 5, annotations: { [ACK]: 'CHG-1234, window 02:00' } }),
    ),
    ['pass'],
    ['acknowledged: CHG-1234, window 02:00'],
  ],
  [
    'given an acknowledgement without a reason, denies and says the reason is missing',
    update(zookeeper(), zookeeper({ replicas: 5, annotations: { [ACK]: '' } })),
    ['fail'],
    ['present but empty'],
  ],
  [
    'given an even ensemble on CREATE, warns: no added fault tolerance',
    create(zookeeper({ replicas: 4 })),
    ['pass', 'warn'],
    ['A quorum needs 3', 'survive 1 failure(s), like 3 servers do', 'Use 3 or 5'],
  ],
  [
    'given a change to an even size, denies the change and warns about the size',
    update(zookeeper(), zookeeper({ replicas: 4 })),
    ['fail', 'warn'],
    [],
  ],
];

describe('rule zookeeper-ensemble', () => {
  test.each(CASES)('%s', async (_name, req, outcomes, mentions) => {
    const findings = await findingsOf('zookeeper-ensemble', req);
    expect(findings.map((f) => f.outcome)).toEqual(outcomes);
    const text = findings.map((f) => f.message).join('\n');
    for (const mention of mentions) expect(text).toContain(mention);
  });

  test('given warnOnEvenSize false, says nothing about an even size', async () => {
    const policy = parsePolicy(
      'rules: {zookeeper-ensemble: {parameters: {warnOnEvenSize: false}}}',
      'p',
    );
    const findings = await findingsOf('zookeeper-ensemble', create(zookeeper({ replicas: 4 })), {
      policy,
    });
    expect(findings.map((f) => f.outcome)).toEqual(['pass']);
  });

  test('an even-size warning never denies, even in enforce mode', async () => {
    const findings = await findingsOf('zookeeper-ensemble', create(zookeeper({ replicas: 2 })));
    expect(findings.find((f) => f.outcome === 'warn')?.mode).toBe('enforce');
  });
});
