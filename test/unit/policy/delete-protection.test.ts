import { parsePolicy } from '../../../src/config/load-policy';
import { evaluate } from '../../../src/policy/engine';
import type { PolicyRequest } from '../../../src/policy/types';
import { findingsOf, kafka, remove, update, zookeeper } from './fixtures';

const REASON = 'kafka-warden.io/deletion-reason';

const CASES: [name: string, req: PolicyRequest, outcomes: string[], mentions: string[]][] = [
  [
    'given the deletion of a Kafka StatefulSet without a reason, denies and offers --cascade=orphan',
    remove(kafka()),
    ['fail'],
    [
      'stops every broker',
      'PersistentVolumeClaims',
      '--cascade=orphan',
      `kubectl annotate statefulset my-cp-cp-kafka ${REASON}`,
    ],
  ],
  [
    'given a deletion with a reason on the deleted object, allows',
    remove(kafka({ annotations: { [REASON]: 'cluster decommissioned, data migrated' } })),
    ['pass'],
    ['decommissioned'],
  ],
  [
    'given a reason that is only whitespace, denies and says the reason is missing',
    remove(kafka({ annotations: { [REASON]: '  ' } })),
    ['fail'],
    ['present but empty'],
  ],
  [
    'given the deletion of ZooKeeper, denies: the brokers lose their metadata store',
    remove(zookeeper()),
    ['fail'],
    ['metadata store'],
  ],
  ['given an UPDATE, has nothing to say', update(kafka(), kafka()), [], []],
];

describe('rule delete-protection', () => {
  test.each(CASES)('%s', async (_name, req, outcomes, mentions) => {
    const findings = await findingsOf('delete-protection', req);
    expect(findings.map((f) => f.outcome)).toEqual(outcomes);
    for (const text of mentions) expect(findings[0]?.message).toContain(text);
  });

  test('given protectZooKeeper false, lets ZooKeeper go', async () => {
    const policy = parsePolicy(
      'rules: {delete-protection: {parameters: {protectZooKeeper: false}}}',
      'p',
    );
    expect((await evaluate(remove(zookeeper()), { policy })).allowed).toBe(true);
  });

  test('the reason is read from the object being deleted (admission sends no new object)', async () => {
    const verdict = await evaluate({
      operation: 'DELETE',
      object: kafka(),
      oldObject: kafka({ annotations: { [REASON]: 'moved to new cluster' } }),
      namespace: 'kafka',
    });
    expect(verdict.allowed).toBe(true);
  });
});
