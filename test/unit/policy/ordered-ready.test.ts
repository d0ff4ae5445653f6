import type { KubeObject } from '../../../src/core/k8s-types';
import { evaluate } from '../../../src/policy/engine';
import type { Operation } from '../../../src/policy/types';
import type { VolumeClaimSource } from '../../../src/policy/volume-claims';
import {
  create,
  deniedBy,
  findingsOf,
  kafka,
  remove,
  request,
  update,
  zookeeper,
} from './fixtures';

const FORBIDDEN =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', " +
  "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
const REASON = 'kafka-warden.io/deletion-reason';

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
    'given an update from OrderedReady to Parallel, denies and says the API server refuses it anyway',
    'UPDATE',
    kafka(),
    kafka(parallel),
    'fail',
    ['Parallel', FORBIDDEN, 'keep podManagementPolicy: OrderedReady'],
  ],
  [
    'given an update of a StatefulSet that already runs Parallel, warns with the orphan-recreate fix instead of blocking every change',
    'UPDATE',
    kafka(parallel),
    kafka({ ...parallel, image: 'confluentinc/cp-enterprise-kafka:6.1.1' }),
    'warn',
    [
      FORBIDDEN,
      `(1) kubectl annotate statefulset my-cp-cp-kafka ${REASON}="recreate with podManagementPolicy OrderedReady"`,
      '(2) kubectl delete statefulset my-cp-cp-kafka --cascade=orphan',
      '(3) create it again with podManagementPolicy: OrderedReady, the same replica count (3)',
      'chart value cp-kafka.podManagementPolicy',
      'adopts the running pods',
    ],
  ],
  [
    'given an update of a Parallel StatefulSet to OrderedReady, denies: the API server refuses it, recreate instead',
    'UPDATE',
    kafka({ ...parallel, replicas: 5 }),
    kafka({ replicas: 5 }),
    'fail',
    [
      'changes podManagementPolicy from Parallel to OrderedReady',
      FORBIDDEN,
      '--cascade=orphan',
      'the same replica count (5)',
      'Fewer replicas would be a scale-down',
    ],
  ],
  [
    'given the same for ZooKeeper, names its chart value and the ensemble, not broker-scaling',
    'UPDATE',
    zookeeper(parallel),
    zookeeper(),
    'fail',
    [
      FORBIDDEN,
      'cp-zookeeper.podManagementPolicy',
      'the ZooKeeper servers keep running',
      'zookeeper-ensemble',
    ],
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

describe('rule ordered-ready: the orphan-and-recreate steps pass kafka-warden, in order', () => {
  const DATA = { volumeClaimTemplates: [{ metadata: { name: 'datadir-0' } }] };
  const running = kafka({ replicas: 5, spec: { ...DATA, podManagementPolicy: 'Parallel' } });
  const claims: VolumeClaimSource = {
    listClaimNames: () =>
      Promise.resolve(Array.from({ length: 5 }, (_, i) => `datadir-0-my-cp-cp-kafka-${i}`)),
  };

  test('the update it replaces is denied; annotate, delete --cascade=orphan and create are allowed', async () => {
    const wanted = kafka({ replicas: 5, spec: DATA });
    expect(deniedBy(await evaluate(update(running, wanted)))).toEqual(['ordered-ready']);

    // (1) the reason, as a change of its own: it only warns (already Parallel)
    const annotated = structuredClone(running);
    annotated.metadata = {
      ...annotated.metadata,
      annotations: { [REASON]: 'recreate with podManagementPolicy OrderedReady' },
    };
    const step1 = await evaluate(update(running, annotated));
    expect(step1.allowed).toBe(true);
    // (2) the deletion reads the reason from the object deleted
    expect((await evaluate(remove(annotated))).allowed).toBe(true);
    // (3) created again with the same count: the claims of all 5 brokers are accounted for
    const step3 = await evaluate(create(wanted), { volumeClaims: claims });
    expect(step3.allowed).toBe(true);
    expect(step3.warnings).toEqual([]);
  });

  test('created again with fewer brokers, as the message warns, it is the scale-down it is', async () => {
    const fewer = kafka({ replicas: 3, spec: DATA });
    expect(deniedBy(await evaluate(create(fewer), { volumeClaims: claims }))).toEqual([
      'broker-scaling',
    ]);
  });
});
