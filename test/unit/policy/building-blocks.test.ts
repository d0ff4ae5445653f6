import { envNameFor, propertyFor } from '../../../src/policy/broker-settings';
import { imageVersion, parseVersion } from '../../../src/policy/kafka-versions';
import { selectorMatches, type Selector } from '../../../src/policy/label-selector';
import { parseReassignmentPlan } from '../../../src/policy/reassignment-plan';
import { LookupTimeout, withTimeout } from '../../../src/async/deadline';

describe("the Confluent images' env-to-property convention", () => {
  test.each([
    ['KAFKA_INTER_BROKER_PROTOCOL_VERSION', 'inter.broker.protocol.version'],
    ['KAFKA_LOG_MESSAGE_FORMAT_VERSION', 'log.message.format.version'],
    ['KAFKA_MIN_INSYNC_REPLICAS', 'min.insync.replicas'],
    ['KAFKA_CONFLUENT_SUPPORT__METRICS_ENABLE', 'confluent.support_metrics.enable'],
    ['KAFKA_LISTENER_NAME_SSL___X_Y', 'listener.name.ssl-x.y'],
  ])('%s is %s, both ways', (env, property) => {
    expect(propertyFor(env)).toBe(property);
    expect(envNameFor(property)).toBe(env);
  });

  test('a variable without the KAFKA_ prefix is no property', () => {
    expect(propertyFor('ZOOKEEPER_CLIENT_PORT')).toBeUndefined();
  });
});

describe('the Kafka version of a broker image', () => {
  test.each([
    ['confluentinc/cp-enterprise-kafka:5.5.0', '2.5'],
    ['confluentinc/cp-kafka:6.0.3', '2.6'],
    ['confluentinc/cp-server:6.1.0-1-ubi8', '2.7'],
    ['confluentinc/cp-kafka:6.2.15', '2.8'],
    ['registry.corp/confluentinc/cp-kafka:7.0.1', '3.0'],
    ['confluentinc/cp-kafka:7.9.2', '3.9'],
    ['confluentinc/cp-kafka:8.0.0', '4.0'],
    ['confluentinc/cp-kafka:7.4.0@sha256:abc', '3.4'],
    ['apache/kafka:3.7.1', '3.7'],
  ])('%s runs Kafka %s', (image, kafka) => {
    const version = imageVersion(image);
    expect(version.known && `${version.kafka.major}.${version.kafka.minor}`).toBe(kafka);
  });

  test.each([
    ['confluentinc/cp-kafka:latest', 'not a release version', false],
    ['confluentinc/cp-kafka@sha256:abc', 'a digest only', false],
    ['confluentinc/cp-kafka:3.3.0', 'not in kafka-warden', false],
    ['confluentinc/cp-kafka:8.1.0', 'not in kafka-warden', true],
  ])('%s is unknown (%s), never guessed', (image, reason, kraftOnly) => {
    const version = imageVersion(image);
    expect(version.known ? undefined : [version.reason, version.kraftOnly]).toEqual([
      expect.any(String),
      kraftOnly,
    ]);
    expect(version.known ? '' : version.reason).toContain(reason);
  });

  test.each([
    ['2.5', { major: 2, minor: 5 }],
    ['2.7-IV2', { major: 2, minor: 7 }],
    ['0.11.0', { major: 0, minor: 11 }],
    [' 3.0 ', { major: 3, minor: 0 }],
    ['latest', undefined],
    ['2', undefined],
  ])('protocol version %p reads as %p', (text, expected) => {
    expect(parseVersion(text)).toEqual(expected);
  });
});

describe('a label selector', () => {
  const labels = { app: 'cp-kafka', tier: 'dev' };
  test.each<[Selector, boolean]>([
    [{ matchLabels: { tier: 'dev' } }, true],
    [{ matchLabels: { tier: 'prod' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['dev', 'test'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['dev'] }] }, false],
    [{ matchExpressions: [{ key: 'owner', operator: 'NotIn', values: ['x'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    [
      { matchLabels: { tier: 'dev' }, matchExpressions: [{ key: 'owner', operator: 'Exists' }] },
      false,
    ],
  ])('%j matches {app: cp-kafka, tier: dev}: %p', (selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('a reassignment plan', () => {
  test('in the format kafka-reassign-partitions writes, with log_dirs, is read', () => {
    const text =
      '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}';
    expect(parseReassignmentPlan(text)).toEqual({
      ok: true,
      plan: { partitions: [{ topic: 't', partition: 0, replicas: [1, 2] }] },
    });
  });

  test.each([
    ['[]', 'not a JSON object'],
    ['{"version":1}', '"partitions" must be a list'],
    [
      '{"version":1,"partitions":[{"partition":0,"replicas":[1]}]}',
      'partitions[0]: "topic" must be a name',
    ],
    [
      '{"version":1,"partitions":[{"topic":"t","partition":-1,"replicas":[1]}]}',
      '"partition" must be a number',
    ],
    [
      '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[]}]}',
      'non-empty list of broker ids',
    ],
    [
      '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":[]}]}',
      'one entry per replica',
    ],
  ])('%s is refused: %s', (text, problem) => {
    const result = parseReassignmentPlan(text);
    expect(result.ok ? 'accepted' : result.problem).toContain(problem);
  });
});

describe('a lookup deadline', () => {
  test('passes an answer through in time', async () => {
    await expect(withTimeout('x', 1000, () => Promise.resolve(42))).resolves.toBe(42);
  });

  test('rejects late with LookupTimeout and aborts the signal', async () => {
    let signal: AbortSignal | undefined;
    await expect(
      withTimeout('asking Kafka', 10, (s) => {
        signal = s;
        return new Promise(() => undefined);
      }),
    ).rejects.toThrow(new LookupTimeout('asking Kafka', 10));
    expect(signal?.aborted).toBe(true);
  });
});
