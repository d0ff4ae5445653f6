/**
 * The harness's model of the Confluent image, on its own: the start command run by /bin/sh, the
 * kubelet's env resolution, and `configure` + the properties template, refusals included. The
 * cluster tests trust these to judge kafka-warden's output as the real container would.
 */
import type { Container, KubeObject } from '../../../src/core/k8s-types';
import {
  configureLikeImage,
  envToProperties,
  ImageRefusal,
  listenersFromAdvertised,
  type ContainerFiles,
} from './harness/image-contract';
import { PodEnvError, resolveContainerEnv } from './harness/pod-env';
import { runStartCommand, StartCommandError } from './harness/start-command';

/** A container file system from a map of container paths to contents. */
function files(contents: Record<string, string>): ContainerFiles {
  return {
    exists: (p) => Object.hasOwn(contents, p),
    read: (p) => {
      const content = contents[p];
      if (content === undefined) throw new Error(`no ${p}`);
      return content;
    },
  };
}

const SECRETS = {
  '/etc/kafka/secrets/kafka.keystore.p12': 'binary',
  '/etc/kafka/secrets/kafka.truststore.p12': 'binary',
  '/etc/kafka/secrets/keystore-credentials': 'ks-pass',
  '/etc/kafka/secrets/key-credentials': 'key-pass\n',
  '/etc/kafka/secrets/truststore-credentials': 'ts-pass',
};

/** The env kafka-warden gives a tls-only broker, after the start script (see the golden files). */
const SSL_ENV: Record<string, string> = {
  KAFKA_ZOOKEEPER_CONNECT: 'zk:2181',
  KAFKA_ADVERTISED_LISTENERS: 'SSL://kf-0.kf-headless.ns:9093',
  KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'SSL:SSL',
  KAFKA_SSL_KEYSTORE_FILENAME: 'kafka.keystore.p12',
  KAFKA_SSL_KEYSTORE_CREDENTIALS: 'keystore-credentials',
  KAFKA_SSL_KEY_CREDENTIALS: 'key-credentials',
  KAFKA_SSL_TRUSTSTORE_FILENAME: 'kafka.truststore.p12',
  KAFKA_SSL_TRUSTSTORE_CREDENTIALS: 'truststore-credentials',
  KAFKA_SSL_CLIENT_AUTH: 'required',
  KAFKA_HEAP_OPTS: '-Xmx1G',
  KAFKA_OPTS: '-Dfoo=bar',
  KAFKA_JMX_OPTS: '-Dx',
};

function without(env: Record<string, string>, ...names: string[]): Record<string, string> {
  const copy = { ...env };
  for (const name of names) delete copy[name];
  return copy;
}

function withoutFile(name: string): Record<string, string> {
  const copy: Record<string, string> = { ...SECRETS };
  delete copy[`/etc/kafka/secrets/${name}`];
  return copy;
}

describe('configure and the properties template', () => {
  test('an SSL broker: locations under /etc/kafka/secrets, passwords from the credentials files, listeners on 0.0.0.0', () => {
    const { properties, messages } = configureLikeImage(SSL_ENV, files(SECRETS));
    const props = Object.fromEntries(properties);
    expect(props).toMatchObject({
      'zookeeper.connect': 'zk:2181',
      listeners: 'SSL://0.0.0.0:9093',
      'log.dirs': '/var/lib/kafka/data',
      'ssl.keystore.location': '/etc/kafka/secrets/kafka.keystore.p12',
      'ssl.keystore.password': 'ks-pass',
      // `$(cat …)` drops the trailing newline.
      'ssl.key.password': 'key-pass',
      'ssl.truststore.location': '/etc/kafka/secrets/kafka.truststore.p12',
      'ssl.truststore.password': 'ts-pass',
      // Not Kafka settings, but the template writes every KAFKA_ variable, as the image does.
      'ssl.keystore.filename': 'kafka.keystore.p12',
    });
    expect(messages).toContain('SSL is enabled.');
    // KAFKA_JMX_OPTS without the RMI port: the image only warns.
    expect(messages.some((m) => m.includes('com.sun.management.jmxremote.rmi.port'))).toBe(true);
  });

  test('launch options are not properties', () => {
    const names = configureLikeImage(SSL_ENV, files(SECRETS)).properties.map(([n]) => n);
    expect(names).not.toContain('heap.opts');
    expect(names).not.toContain('opts');
    expect(names).not.toContain('jmx.opts');
  });

  test('env names: _ → ., __ → _, ___ → -, lower case; CONFLUENT_METRICS_ and CONFLUENT_SUPPORT_ prefixed', () => {
    const env = {
      KAFKA_LOG_RETENTION_HOURS: '1',
      KAFKA_CONFLUENT_TIER__FEATURE: 'x',
      KAFKA_LISTENER_NAME_SSL_SSL___PRINCIPAL: 'y',
      CONFLUENT_METRICS_REPORTER_BOOTSTRAP_SERVERS: 'b:9093',
      CONFLUENT_SUPPORT_METRICS_ENABLE: 'false',
      OTHER_VAR: 'z',
    };
    expect(envToProperties(env, 'KAFKA_', '')).toEqual([
      ['log.retention.hours', '1'],
      ['confluent.tier_feature', 'x'],
      ['listener.name.ssl.ssl-principal', 'y'],
    ]);
    const all = configureLikeImage(
      {
        ...env,
        KAFKA_ZOOKEEPER_CONNECT: 'zk:2181',
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://a:9092',
      },
      files({}),
    ).properties;
    expect(all).toContainEqual(['confluent.metrics.reporter.bootstrap.servers', 'b:9093']);
    expect(all).toContainEqual(['confluent.support.metrics.enable', 'false']);
    expect(all.map(([n]) => n)).not.toContain('other.var');
  });

  test('cub listeners: every advertised host becomes 0.0.0.0, names and ports kept; an explicit KAFKA_LISTENERS wins', () => {
    expect(listenersFromAdvertised('PLAINTEXT://a.b:9092,EXTERNAL://10.0.0.1:31090')).toBe(
      'PLAINTEXT://0.0.0.0:9092,EXTERNAL://0.0.0.0:31090',
    );
    const props = configureLikeImage(
      { ...SSL_ENV, KAFKA_LISTENERS: 'SSL://1.2.3.4:9093' },
      files(SECRETS),
    ).properties;
    expect(props).toContainEqual(['listeners', 'SSL://1.2.3.4:9093']);
  });

  test('client auth none: no truststore is required or configured', () => {
    const env = without(
      { ...SSL_ENV, KAFKA_SSL_CLIENT_AUTH: 'none' },
      'KAFKA_SSL_TRUSTSTORE_FILENAME',
      'KAFKA_SSL_TRUSTSTORE_CREDENTIALS',
    );
    const names = configureLikeImage(
      env,
      files(withoutFile('kafka.truststore.p12')),
    ).properties.map(([n]) => n);
    expect(names).not.toContain('ssl.truststore.location');
  });

  test('a listener mapped to SSL but not named with SSL skips the checks (the image tests the text)', () => {
    const env = {
      KAFKA_ZOOKEEPER_CONNECT: 'zk:2181',
      KAFKA_ADVERTISED_LISTENERS: 'INTERNAL://a:9093',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:SSL',
    };
    expect(() => configureLikeImage(env, files({}))).not.toThrow();
  });
});

describe('configure refuses what the image refuses', () => {
  const cases: [string, Record<string, string>, Record<string, string>, RegExp][] = [
    [
      'no KAFKA_ZOOKEEPER_CONNECT',
      without(SSL_ENV, 'KAFKA_ZOOKEEPER_CONNECT'),
      SECRETS,
      /^KAFKA_ZOOKEEPER_CONNECT is required\.\nCommand \[\/usr\/local\/bin\/dub ensure KAFKA_ZOOKEEPER_CONNECT\] FAILED !$/,
    ],
    [
      'an empty KAFKA_ZOOKEEPER_CONNECT',
      { ...SSL_ENV, KAFKA_ZOOKEEPER_CONNECT: '' },
      SECRETS,
      /KAFKA_ZOOKEEPER_CONNECT is required/,
    ],
    [
      'no KAFKA_ADVERTISED_LISTENERS',
      without(SSL_ENV, 'KAFKA_ADVERTISED_LISTENERS'),
      SECRETS,
      /KAFKA_ADVERTISED_LISTENERS is required/,
    ],
    [
      'the deprecated KAFKA_PORT',
      { ...SSL_ENV, KAFKA_PORT: '9092' },
      SECRETS,
      /^port is deprecated\. Please use KAFKA_ADVERTISED_LISTENERS instead\.$/,
    ],
    [
      'SSL:// without KAFKA_SSL_KEYSTORE_FILENAME',
      without(SSL_ENV, 'KAFKA_SSL_KEYSTORE_FILENAME'),
      SECRETS,
      /KAFKA_SSL_KEYSTORE_FILENAME is required/,
    ],
    [
      'SSL:// with the keystore missing from the secrets dir',
      SSL_ENV,
      withoutFile('kafka.keystore.p12'),
      /^Command \[\/usr\/local\/bin\/dub path \/etc\/kafka\/secrets\/kafka\.keystore\.p12 exists\] FAILED !$/,
    ],
    [
      'SSL:// without KAFKA_SSL_KEY_CREDENTIALS',
      without(SSL_ENV, 'KAFKA_SSL_KEY_CREDENTIALS'),
      SECRETS,
      /KAFKA_SSL_KEY_CREDENTIALS is required/,
    ],
    [
      'SSL:// with the key credentials file missing',
      SSL_ENV,
      withoutFile('key-credentials'),
      /dub path \/etc\/kafka\/secrets\/key-credentials exists\] FAILED/,
    ],
    [
      'SSL:// without KAFKA_SSL_KEYSTORE_CREDENTIALS',
      without(SSL_ENV, 'KAFKA_SSL_KEYSTORE_CREDENTIALS'),
      SECRETS,
      /KAFKA_SSL_KEYSTORE_CREDENTIALS is required/,
    ],
    [
      'client auth required without a truststore',
      without(SSL_ENV, 'KAFKA_SSL_TRUSTSTORE_FILENAME'),
      SECRETS,
      /KAFKA_SSL_TRUSTSTORE_FILENAME is required/,
    ],
    [
      'client auth requested with the truststore credentials missing',
      { ...SSL_ENV, KAFKA_SSL_CLIENT_AUTH: 'requested' },
      withoutFile('truststore-credentials'),
      /dub path \/etc\/kafka\/secrets\/truststore-credentials exists\] FAILED/,
    ],
    [
      'a SASL listener without KAFKA_OPTS',
      without(
        { ...SSL_ENV, KAFKA_ADVERTISED_LISTENERS: 'SASL_SSL://kf-0.kf-headless.ns:9093' },
        'KAFKA_OPTS',
      ),
      SECRETS,
      /^KAFKA_OPTS is required\./,
    ],
    [
      'a SASL listener whose KAFKA_OPTS names no JAAS file',
      { ...SSL_ENV, KAFKA_ADVERTISED_LISTENERS: 'SASL_PLAINTEXT://kf-0.kf-headless.ns:9092' },
      SECRETS,
      /KAFKA_OPTS should contain 'java\.security\.auth\.login\.config' property/,
    ],
  ];

  test.each(cases)('given %s, refuses', (_name, env, contents, message) => {
    expect(() => configureLikeImage(env, files(contents))).toThrow(ImageRefusal);
    expect(() => configureLikeImage(env, files(contents))).toThrow(message);
  });
});

const CHART_SCRIPT = [
  'sh',
  '-exc',
  'export KAFKA_BROKER_ID=${HOSTNAME##*-} && \\\nexport KAFKA_ADVERTISED_LISTENERS=SSL://${POD_NAME}.kf-headless.${POD_NAMESPACE}:9093,EXTERNAL://${HOST_IP}:$((31090 + ${KAFKA_BROKER_ID})) && \\\nexec /etc/confluent/docker/run\n',
];

describe('the start command, run by /bin/sh', () => {
  const container = (command: string[]): Container => ({ name: 'cp-kafka-broker', command });
  const env = { POD_NAME: 'kf-2', POD_NAMESPACE: 'ns', HOST_IP: '10.1.2.3', KEEP: 'a\nb' };

  test("the chart's script: broker id from the ordinal, listeners from the pod fields, env passed through", () => {
    const result = runStartCommand(container(CHART_SCRIPT), env, 'kf-2');
    expect(result.env).toMatchObject({
      KAFKA_BROKER_ID: '2',
      KAFKA_ADVERTISED_LISTENERS: 'SSL://kf-2.kf-headless.ns:9093,EXTERNAL://10.1.2.3:31092',
      HOSTNAME: 'kf-2',
      KEEP: 'a\nb',
    });
    expect(result.env.PATH).toBeUndefined();
    expect(result.trace).toContain('+ export KAFKA_BROKER_ID=2');
  });

  test('no command: the image entrypoint gets the pod env', () => {
    expect(runStartCommand({ name: 'b' }, env, 'kf-0').env).toEqual({ ...env, HOSTNAME: 'kf-0' });
  });

  test('a script that never runs the entrypoint is refused', () => {
    expect(() => runStartCommand(container(['sh', '-c', 'sleep 1']), env, 'kf-0')).toThrow(
      StartCommandError,
    );
  });

  test('a failing script is refused with its trace', () => {
    expect(() =>
      runStartCommand(
        container(['sh', '-exc', 'false && exec /etc/confluent/docker/run']),
        env,
        'kf-0',
      ),
    ).toThrow(/exited 1/);
  });
});

describe("the kubelet's env resolution", () => {
  const pod: KubeObject = { kind: 'Pod', metadata: { name: 'kf-1', namespace: 'ns' }, spec: {} };
  const status = { podIP: '127.0.0.11', hostIP: '127.0.0.11', nodeName: 'node-1' };
  const secret: KubeObject = {
    kind: 'Secret',
    metadata: { name: 's' },
    data: { k: Buffer.from('secret-value').toString('base64') },
  };
  const resolve = (env: Container['env'], objects: KubeObject[] = [secret]) =>
    resolveContainerEnv({ pod, status, objects, container: { name: 'c', env } });

  test('values, $(VAR) references, fieldRef and secretKeyRef', () => {
    expect(
      resolve([
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'REF', value: '$(POD_NAME).x $(UNKNOWN) $$(POD_NAME)' },
        { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      ]),
    ).toEqual({
      POD_NAME: 'kf-1',
      POD_IP: '127.0.0.11',
      NS: 'ns',
      REF: 'kf-1.x $(UNKNOWN) $(POD_NAME)',
      S: 'secret-value',
    });
  });

  test('a missing Secret or key fails, an optional one is left out', () => {
    expect(() =>
      resolve([{ name: 'S', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }]),
    ).toThrow(/Secret "nope" not found/);
    expect(() =>
      resolve([{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'x' } } }]),
    ).toThrow(PodEnvError);
    expect(
      resolve([
        { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'x', optional: true } } },
      ]),
    ).toEqual({});
  });

  test('an unknown fieldRef fails rather than resolving to nothing', () => {
    expect(() =>
      resolve([{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }]),
    ).toThrow(/status\.phase/);
  });
});
