import { parsePolicy } from '../../../src/config/load-policy';
import type { KubeObject } from '../../../src/core/k8s-types';
import { findingOf, findingsOf, kafka, update } from './fixtures';

const CP = 'confluentinc/cp-enterprise-kafka';
const ZK = { KAFKA_ZOOKEEPER_CONNECT: 'zk:2181' };

function broker(tag: string, env: Record<string, string> = {}, repository = CP): KubeObject {
  return kafka({ image: `${repository}:${tag}`, env: { ...ZK, ...env } });
}

const pin = (ibp: string, lmf?: string) => ({
  KAFKA_INTER_BROKER_PROTOCOL_VERSION: ibp,
  ...(lmf ? { KAFKA_LOG_MESSAGE_FORMAT_VERSION: lmf } : {}),
});

const CASES: [
  name: string,
  before: KubeObject,
  after: KubeObject,
  outcome: string,
  mentions: string[],
][] = [
  ['given an unchanged image and protocol, passes', broker('6.1.0'), broker('6.1.0'), 'pass', []],
  [
    'given an upgrade 2.5 → 2.7 without a protocol pin, denies with the two-step procedure',
    broker('5.5.0'),
    broker('6.1.0'),
    'fail',
    [
      'Kafka 2.5',
      'Kafka 2.7',
      'inter.broker.protocol.version and log.message.format.version to 2.5',
      'KAFKA_INTER_BROKER_PROTOCOL_VERSION=2.5 and KAFKA_LOG_MESSAGE_FORMAT_VERSION=2.5',
      'separate change',
    ],
  ],
  [
    'given an upgrade with both pins at the running version, allows (step one)',
    broker('5.5.0'),
    broker('6.1.0', pin('2.5', '2.5')),
    'pass',
    ['step one'],
  ],
  [
    'given pins written as full protocol versions (2.5-IV0), allows',
    broker('5.5.0'),
    broker('6.1.0', pin('2.5-IV0', '2.5-IV0')),
    'pass',
    [],
  ],
  [
    'given an upgrade below 3.0 with only the protocol pinned, denies: the message format must stay too',
    broker('5.5.0'),
    broker('6.1.0', pin('2.5')),
    'fail',
    [
      'log.message.format.version (env KAFKA_LOG_MESSAGE_FORMAT_VERSION) is not set',
      'stay at the running 2.5',
    ],
  ],
  [
    'given an upgrade whose pin is the NEW version, denies: protocol bump in the same rollout as the image',
    broker('5.5.0'),
    broker('6.1.0', pin('2.7', '2.7')),
    'fail',
    ['in the same change', '2.5 → 2.7', 'keep inter.broker.protocol.version at 2.5'],
  ],
  [
    'given the protocol bumped on an unchanged image, allows (step two)',
    broker('6.1.0', pin('2.5', '2.5')),
    broker('6.1.0', pin('2.7', '2.7')),
    'pass',
    ['step two', 'downgrade below Kafka 2.7 is impossible'],
  ],
  [
    'given the pins removed on an unchanged image (the same as bumping), allows',
    broker('6.1.0', pin('2.5', '2.5')),
    broker('6.1.0'),
    'pass',
    ['from 2.5 to 2.7'],
  ],
  [
    'given a protocol newer than the broker software, denies: the broker would not start',
    broker('6.1.0'),
    broker('6.1.0', pin('2.8')),
    'fail',
    ['newer than itself'],
  ],
  [
    'given a downgrade below the protocol in use, denies',
    broker('6.1.0'),
    broker('5.5.0'),
    'fail',
    [
      'below the protocol in use',
      'inter.broker.protocol.version 2.7',
      'restoring the cluster from a backup',
    ],
  ],
  [
    'given a rollback of step one (the protocol still pinned to the old version), allows',
    broker('6.1.0', pin('2.5', '2.5')),
    broker('5.5.0', pin('2.5', '2.5')),
    'pass',
    ['downgrade'],
  ],
  [
    'given a rollback while the message format was already bumped, denies',
    broker('6.1.0', pin('2.5', '2.7')),
    broker('5.5.0', pin('2.5', '2.7')),
    'fail',
    ['log.message.format.version 2.7'],
  ],
  [
    'given a patch release (same Kafka minor), allows',
    broker('6.1.0'),
    broker('6.1.2-1-ubi8'),
    'pass',
    ['same Kafka 2.7'],
  ],
  [
    'given a patch release together with a protocol bump, denies',
    broker('6.1.0', pin('2.6')),
    broker('6.1.1', pin('2.7')),
    'fail',
    ['in the same change'],
  ],
  [
    'given an upgrade from protocol 3.0 on, needs no message format pin',
    broker('7.0.1'),
    broker('7.4.0', pin('3.0')),
    'pass',
    ['pinned to 3.0'],
  ],
  [
    'given a ZooKeeper-mode cluster moved to CP 8.0 (Kafka 4.0, KRaft only), denies with the migration path',
    broker('7.9.0'),
    broker('8.0.0', pin('3.9')),
    'fail',
    ['KRaft mode only', '7.7.1 or later', 'migrate the cluster to KRaft'],
  ],
  [
    'given CP 8.1, unknown to the version table, still knows it has no ZooKeeper mode',
    broker('7.9.0'),
    broker('8.1.0'),
    'fail',
    ['KRaft mode only'],
  ],
  [
    'given an image tag that is not a release, warns instead of guessing',
    broker('6.1.0'),
    broker('latest'),
    'warn',
    ['tag "latest" is not a release version', 'cannot check the upgrade'],
  ],
  [
    'given a digest-only image, warns',
    broker('6.1.0'),
    kafka({ image: `${CP}@sha256:abc`, env: ZK }),
    'warn',
    ['a digest only'],
  ],
  [
    'given an apache/kafka image, reads its tag as the Kafka version',
    broker('3.6.0', {}, 'apache/kafka'),
    broker('3.7.0', pin('3.6'), 'apache/kafka'),
    'pass',
    ['3.6 → 3.7'],
  ],
  [
    'given a KRaft cluster, leaves the protocol alone and points to metadata.version',
    kafka({ image: `${CP}:7.6.0`, env: { KAFKA_PROCESS_ROLES: 'broker' } }),
    kafka({ image: `${CP}:7.7.0`, env: { KAFKA_PROCESS_ROLES: 'broker' } }),
    'pass',
    ['kafka-features'],
  ],
];

describe('rule kafka-version', () => {
  test.each(CASES)('%s', async (_name, before, after, outcome, mentions) => {
    const finding = await findingOf('kafka-version', update(before, after));
    expect(finding.outcome).toBe(outcome);
    for (const text of mentions) expect(`${finding.summary}\n${finding.message}`).toContain(text);
  });

  test('given requireMessageFormatPin false, the protocol pin alone is enough', async () => {
    const policy = parsePolicy(
      'rules: {kafka-version: {parameters: {requireMessageFormatPin: false}}}',
      'p',
    );
    const finding = await findingOf(
      'kafka-version',
      update(broker('5.5.0'), broker('6.1.0', pin('2.5'))),
      { policy },
    );
    expect(finding.outcome).toBe('pass');
  });

  test('given the protocol set through valueFrom on an image change, warns that it cannot check', async () => {
    const after = broker('6.1.0');
    const container = (after.spec as { template: { spec: { containers: { env: unknown[] }[] } } })
      .template.spec.containers[0];
    container?.env.push({
      name: 'KAFKA_INTER_BROKER_PROTOCOL_VERSION',
      valueFrom: { configMapKeyRef: { name: 'k', key: 'ibp' } },
    });
    const finding = await findingOf('kafka-version', update(broker('5.5.0'), after));
    expect(finding.outcome).toBe('warn');
    expect(finding.message).toContain('valueFrom');
  });

  test('is not evaluated on CREATE: nothing runs yet', async () => {
    expect(
      await findingsOf('kafka-version', {
        operation: 'CREATE',
        object: broker('8.0.0'),
        namespace: 'k',
      }),
    ).toEqual([]);
  });
});
