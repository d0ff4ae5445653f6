import type { KubeObject } from '../../../src/core/k8s-types';
import type { Operation } from '../../../src/policy/types';
import { findingsOf, kafka, request, zookeeper } from './fixtures';

const parallel = { spec: { podManagementPolicy: 'Parallel' } };
const absent = { spec: { podManagementPolicy: undefined } };

const CASES: [
  name: string,
  operation: Operation,
  before: KubeObject,
  after: KubeObject,
  outcome: string | undefined,
  mentions: string[],
][] = [
  [
    'given no podManagementPolicy (OrderedReady by default), passes',
    'CREATE',
    kafka(),
    kafka(absent),
    'pass',
    [],
  ],
  ['given OrderedReady, passes', 'CREATE', kafka(), kafka(), 'pass', []],
  [
    'given Parallel on CREATE, denies: the field cannot be fixed later',
    'CREATE',
    kafka(),
    kafka(parallel),
    'fail',
    [
      'podManagementPolicy: Parallel',
      'all at once',
      'OrderedReady',
      'cp-kafka.podManagementPolicy',
    ],
  ],
  [
    'given Parallel on a ZooKeeper CREATE, denies and names the ZooKeeper chart value',
    'CREATE',
    zookeeper(),
    zookeeper(parallel),
    'fail',
    ['ZooKeeper servers', 'cp-zookeeper.podManagementPolicy'],
  ],
  [
    'given an update from OrderedReady to Parallel, denies',
    'UPDATE',
    kafka(),
    kafka(parallel),
    'fail',
    ['Parallel'],
  ],
  [
    'given an update of a StatefulSet that already runs Parallel, warns with the orphan-recreate fix instead of blocking every change',
    'UPDATE',
    kafka(parallel),
    kafka({ ...parallel, image: 'confluentinc/cp-enterprise-kafka:6.1.1' }),
    'warn',
    ['--cascade=orphan', 'adopts the running pods'],
  ],
  ['given a DELETE, has nothing to say', 'DELETE', kafka(parallel), kafka(parallel), undefined, []],
];

describe('rule ordered-ready', () => {
  test.each(CASES)('%s', async (_name, operation, before, after, outcome, mentions) => {
    const findings = await findingsOf('ordered-ready', request(operation, before, after));
    expect(findings.map((f) => f.outcome)).toEqual(outcome ? [outcome] : []);
    for (const text of mentions) expect(findings[0]?.message).toContain(text);
  });
});
