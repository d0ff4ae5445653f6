import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../../src/config/load-config';
import { resolveConfig, type PartialConfig } from '../../../src/core/config';
import { WardenError } from '../../../src/core/errors';
import { injectPodTemplate, rewriteBootstrap } from '../../../src/core/inject-pod';
import type { Container, EnvVar, KubeObject, PodTemplate } from '../../../src/core/k8s-types';
import { JAAS_LOGIN_OPTION } from '../../../src/core/sasl-wiring';
import { transformManifests } from '../../../src/core/transform-manifests';
import { sharedDir } from '../../support/paths';

const chart = parseAllDocuments(
  readFileSync(
    path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
    'utf8',
  ),
)
  .map((d) => d.toJS() as KubeObject | null)
  .filter((o): o is KubeObject => o !== null);

const SASL: PartialConfig = { sasl: { enabled: true } };
const SASL_ONLY_TLS: PartialConfig = { tls: { keepPlaintext: false }, sasl: { enabled: true } };

/** The chart's release, transformed with `partial`; each call starts from a fresh copy. */
function release(partial: PartialConfig, objects: KubeObject[] = chart): KubeObject[] {
  const copy = structuredClone(objects);
  transformManifests(copy, resolveConfig(partial));
  return copy;
}

/** The pod template of the workload `name` (a Service may share the name). */
const template = (objects: KubeObject[], name: string): PodTemplate =>
  (
    objects.find((o) => o.metadata?.name === name && (o.spec as { template?: unknown })?.template)
      ?.spec as { template: PodTemplate }
  ).template;
const broker = (objects: KubeObject[]): Container =>
  template(objects, 'my-cp-cp-kafka').spec?.containers.find(
    (c) => c.name === 'cp-kafka-broker',
  ) as Container;
const env = (container: Container, name: string): EnvVar | undefined =>
  container.env?.find((e) => e.name === name);

/** The chart's broker with KAFKA_OPTS set the way the chart's customEnv would set it. */
function withKafkaOpts(entry: EnvVar): KubeObject[] {
  const objects = structuredClone(chart);
  const container = broker(objects);
  container.env = [...(container.env ?? []), entry];
  return objects;
}

describe('KAFKA_OPTS with SASL', () => {
  test('without KAFKA_OPTS in the chart, it holds just the JAAS option', () => {
    expect(env(broker(release(SASL)), 'KAFKA_OPTS')?.value).toBe(JAAS_LOGIN_OPTION);
  });

  test('an existing value is kept and the JAAS option appended after it', () => {
    const objects = withKafkaOpts({ name: 'KAFKA_OPTS', value: '-XX:+UseG1GC -Dfoo=bar' });
    expect(env(broker(release(SASL, objects)), 'KAFKA_OPTS')?.value).toBe(
      `-XX:+UseG1GC -Dfoo=bar ${JAAS_LOGIN_OPTION}`,
    );
  });

  test('re-injecting its own output does not append the option twice', () => {
    const objects = withKafkaOpts({ name: 'KAFKA_OPTS', value: '-XX:+UseG1GC' });
    const twice = release(SASL, release(SASL, objects));
    expect(env(broker(twice), 'KAFKA_OPTS')?.value).toBe(`-XX:+UseG1GC ${JAAS_LOGIN_OPTION}`);
  });

  test('without the injection record (annotation removed), the option is still not appended twice', () => {
    const once = release(SASL, withKafkaOpts({ name: 'KAFKA_OPTS', value: '-XX:+UseG1GC' }));
    delete template(once, 'my-cp-cp-kafka').metadata?.annotations?.['kafka-warden.io/status'];
    const again = release(SASL, once);
    expect(env(broker(again), 'KAFKA_OPTS')?.value).toBe(`-XX:+UseG1GC ${JAAS_LOGIN_OPTION}`);
    const off = release({}, again);
    expect(env(broker(off), 'KAFKA_OPTS')?.value).toBe('-XX:+UseG1GC');
  });

  test.each<[string, EnvVar | null]>([
    ['the original value', { name: 'KAFKA_OPTS', value: '-XX:+UseG1GC' }],
    ['no KAFKA_OPTS at all', null],
  ])('turning SASL off restores %s', (_n, entry) => {
    const objects = entry ? withKafkaOpts(entry) : chart;
    const off = release({}, release(SASL_ONLY_TLS, objects));
    const direct = release({}, objects);
    expect(broker(off)).toEqual(broker(direct));
    expect(env(broker(off), 'KAFKA_OPTS')).toEqual(entry ?? undefined);
    expect(JSON.stringify(template(off, 'my-cp-cp-kafka'))).not.toContain('jaas');
  });

  test('KAFKA_OPTS from valueFrom is refused with KW_BROKER_KAFKA_OPTS, not replaced', () => {
    const objects = withKafkaOpts({
      name: 'KAFKA_OPTS',
      valueFrom: { configMapKeyRef: { name: 'opts', key: 'KAFKA_OPTS' } },
    });
    let error: unknown;
    try {
      release(SASL, objects);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('KW_BROKER_KAFKA_OPTS');
    expect((error as WardenError).message).toMatch(/valueFrom/);
    expect(() => release({}, objects)).not.toThrow();
  });

  test('KAFKA_OPTS that already names another JAAS file is refused with KW_BROKER_KAFKA_OPTS', () => {
    const objects = withKafkaOpts({
      name: 'KAFKA_OPTS',
      value: '-Djava.security.auth.login.config=/etc/kafka/secrets/mine.conf',
    });
    expect(() => release(SASL, objects)).toThrow(/KAFKA_OPTS already names a JAAS file/);
  });
});

describe('SASL_SSL listener', () => {
  const brokerEnv = (partial: PartialConfig) => {
    const container = broker(release(partial));
    return (name: string) => env(container, name)?.value;
  };
  const advertised = (partial: PartialConfig) =>
    /KAFKA_ADVERTISED_LISTENERS=(\S+)/.exec(broker(release(partial)).command?.[2] ?? '')?.[1] ?? '';

  test('its name runs both of the image\'s checks: TLS ("SSL://") and SASL (/SASL_.*:\\/\\//)', () => {
    const listeners = advertised(SASL);
    expect(listeners).toContain('SASL_SSL://');
    expect(listeners).toContain('SSL://');
    expect(listeners).toMatch(/SASL_.*:\/\//);
  });

  test('the protocol map maps it to SASL_SSL, the brokers replicate over it with PLAIN', () => {
    const get = brokerEnv(SASL);
    expect(get('KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')).toBe(
      'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    );
    expect(get('KAFKA_INTER_BROKER_LISTENER_NAME')).toBe('SASL_SSL');
    expect(get('KAFKA_SASL_ENABLED_MECHANISMS')).toBe('PLAIN');
    expect(get('KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL')).toBe('PLAIN');
    // The keystore settings stay: the image still checks and loads them for SASL_SSL.
    expect(get('KAFKA_SSL_KEYSTORE_FILENAME')).toBe('kafka.keystore.p12');
  });

  test('the JAAS file comes from Secret <cluster>-jaas, mounted read-only where KAFKA_OPTS points', () => {
    const objects = release(SASL);
    const pod = template(objects, 'my-cp-cp-kafka').spec;
    expect(pod?.volumes).toContainEqual({
      name: 'kafka-warden-jaas',
      secret: { secretName: 'my-cp-cp-kafka-jaas', defaultMode: 0o400 },
    });
    expect(broker(objects).volumeMounts).toContainEqual({
      name: 'kafka-warden-jaas',
      mountPath: '/etc/kafka/jaas',
      readOnly: true,
    });
    expect(JAAS_LOGIN_OPTION).toBe(
      '-Djava.security.auth.login.config=/etc/kafka/jaas/kafka_server_jaas.conf',
    );
  });

  test('migration: with PLAINTEXT kept, the brokers can still replicate over PLAINTEXT', () => {
    const get = brokerEnv({ ...SASL, tls: { interBrokerListener: 'PLAINTEXT' } });
    expect(get('KAFKA_INTER_BROKER_LISTENER_NAME')).toBe('PLAINTEXT');
    expect(get('KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')).toContain('SASL_SSL:SASL_SSL');
  });

  test('external listeners keep mutual TLS (EXTERNAL_SSL mapped to SSL)', () => {
    const get = brokerEnv({ ...SASL, listeners: { external: { mode: 'nodeport' } } });
    expect(get('KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')).toBe(
      'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,EXTERNAL_SSL:SSL',
    );
  });

  test('without TLS, sasl.enabled is refused by the configuration loader and inert in the core', () => {
    expect(() => parseConfig('tls: {enabled: false}\nsasl: {enabled: true}\n', 'c.yaml')).toThrow(
      /sasl\.enabled: needs tls\.enabled/,
    );
    const get = brokerEnv({ tls: { enabled: false }, sasl: { enabled: true } });
    expect(get('KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')).toBe('PLAINTEXT:PLAINTEXT');
    expect(get('KAFKA_OPTS')).toBeUndefined();
  });
});

describe('SASL clients when PLAINTEXT is dropped', () => {
  const objects = release(SASL_ONLY_TLS);
  /** The component's own container (the chart puts its JMX exporter sidecar first). */
  const main = (name: string) =>
    template(objects, name).spec?.containers.find((c) => c.name.endsWith('-server')) as Container;
  const connect = main('my-cp-cp-kafka-connect');
  const registry = main('my-cp-cp-schema-registry');

  test('each client prefix gets SASL_SSL, PLAIN and sasl.jaas.config through FileConfigProvider', () => {
    for (const prefix of ['CONNECT_', 'CONNECT_PRODUCER_', 'CONNECT_CONSUMER_']) {
      expect(env(connect, `${prefix}SECURITY_PROTOCOL`)?.value).toBe('SASL_SSL');
      expect(env(connect, `${prefix}SASL_MECHANISM`)?.value).toBe('PLAIN');
      expect(env(connect, `${prefix}SASL_JAAS_CONFIG`)?.value).toBe(
        '${file:/etc/kafka/client-jaas/sasl-jaas.properties:sasl.jaas.config}',
      );
      expect(env(connect, `${prefix}CONFIG_PROVIDERS`)?.value).toBe('file');
    }
  });

  test("bootstrap URLs name SASL_SSL: Schema Registry uses only endpoints of its protocol's scheme", () => {
    expect(env(registry, 'SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS')?.value).toBe(
      'SASL_SSL://my-cp-cp-kafka-headless:9093',
    );
    expect(env(registry, 'SCHEMA_REGISTRY_KAFKASTORE_SECURITY_PROTOCOL')?.value).toBe('SASL_SSL');
  });

  test('the client JAAS Secret <cluster>-client-jaas is mounted beside the client TLS Secret, readable by the component user (appuser)', () => {
    const pod = template(objects, 'my-cp-cp-kafka-connect').spec;
    expect(pod?.volumes).toContainEqual({
      name: 'kafka-warden-client-jaas',
      secret: { secretName: 'my-cp-cp-kafka-client-jaas', defaultMode: 0o444 },
    });
    expect(connect.volumeMounts).toContainEqual({
      name: 'kafka-warden-client-jaas',
      mountPath: '/etc/kafka/client-jaas',
      readOnly: true,
    });
  });

  test("the brokers' metrics reporter uses SASL_SSL with the JVM's KafkaClient login (no JAAS env)", () => {
    const container = broker(objects);
    expect(env(container, 'CONFLUENT_METRICS_REPORTER_SECURITY_PROTOCOL')?.value).toBe('SASL_SSL');
    expect(env(container, 'CONFLUENT_METRICS_REPORTER_SASL_MECHANISM')?.value).toBe('PLAIN');
    expect(env(container, 'CONFLUENT_METRICS_REPORTER_SASL_JAAS_CONFIG')).toBeUndefined();
    expect(env(container, 'CONFLUENT_METRICS_REPORTER_BOOTSTRAP_SERVERS')?.value).toBe(
      'SASL_SSL://my-cp-cp-kafka-headless:9093',
    );
  });

  test('rewriting a bootstrap list is idempotent for each scheme and moves between them', () => {
    const lookup = (host: string) => (host === 'k-headless' ? 'k' : undefined);
    const sasl = rewriteBootstrap(
      'PLAINTEXT://k-headless:9092,other:9092',
      lookup,
      9093,
      'SASL_SSL',
    );
    expect(sasl).toBe('SASL_SSL://k-headless:9093,other:9092');
    expect(rewriteBootstrap(sasl, lookup, 9093, 'SASL_SSL')).toBe(sasl);
    expect(rewriteBootstrap(sasl, lookup, 9093)).toBe('SSL://k-headless:9093,other:9092');
  });
});

describe('no secret in env values or the start command', () => {
  test.each<[string, PartialConfig]>([
    ['SASL beside PLAINTEXT', SASL],
    ['SASL only over TLS', SASL_ONLY_TLS],
  ])('%s: env values are names, paths and file references only', (_n, partial) => {
    const text = JSON.stringify(release(partial));
    expect(text).not.toMatch(/PlainLoginModule|password="|user_[A-Za-z]/);
    const containers = release(partial).flatMap((o) => {
      const spec = (o.spec as { template?: PodTemplate } | undefined)?.template?.spec;
      return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
    });
    for (const container of containers) {
      expect(container.command?.join(' ') ?? '').not.toMatch(/jaas|login\.config|password/i);
      for (const { name, value } of container.env ?? []) {
        if (/PASSWORD|JAAS/.test(name)) expect(value).toMatch(/^\$\{file:\/etc\/kafka\/[^}]+\}$/);
      }
    }
  });
});

describe('tls.contentHash: the roll trigger', () => {
  const HASH = 'a'.repeat(64);
  const annotation = (objects: KubeObject[], name: string) =>
    template(objects, name).metadata?.annotations?.['kafka-warden.io/tls-content-hash'];

  test('is written on broker and client pod templates, not on ZooKeeper', () => {
    const objects = release({ tls: { keepPlaintext: false, contentHash: HASH } });
    expect(annotation(objects, 'my-cp-cp-kafka')).toBe(HASH);
    expect(annotation(objects, 'my-cp-cp-kafka-connect')).toBe(HASH);
    expect(annotation(objects, 'my-cp-cp-zookeeper')).toBeUndefined();
  });

  test('a new value replaces the old one; null removes what kafka-warden set', () => {
    const first = release({ tls: { contentHash: HASH } });
    const renewed = release({ tls: { contentHash: 'b'.repeat(64) } }, first);
    expect(annotation(renewed, 'my-cp-cp-kafka')).toBe('b'.repeat(64));
    const removed = release({}, renewed);
    expect(annotation(removed, 'my-cp-cp-kafka')).toBeUndefined();
    expect(template(removed, 'my-cp-cp-kafka')).toEqual(template(release({}), 'my-cp-cp-kafka'));
  });

  test('null leaves a hash someone else set (kubectl patch, the reconciler) alone', () => {
    const patched = structuredClone(chart);
    const meta = (template(patched, 'my-cp-cp-kafka').metadata ??= {});
    (meta.annotations ??= {})['kafka-warden.io/tls-content-hash'] = 'from-kubectl';
    expect(annotation(release({}, patched), 'my-cp-cp-kafka')).toBe('from-kubectl');
    // Overwritten while configured, and given back when the configuration drops it.
    const configured = release({ tls: { contentHash: HASH } }, patched);
    expect(annotation(configured, 'my-cp-cp-kafka')).toBe(HASH);
    expect(annotation(release({}, configured), 'my-cp-cp-kafka')).toBe('from-kubectl');
  });

  test('a Pod (the webhook door) gets the same annotation', () => {
    const pod: PodTemplate = structuredClone(template(chart, 'my-cp-cp-kafka'));
    injectPodTemplate(
      pod,
      {
        where: 'Pod my-cp-cp-kafka-0',
        broker: {
          cluster: 'my-cp-cp-kafka',
          headlessService: 'my-cp-cp-kafka-headless',
          replicas: 1,
          chartFirstListenerPort: null,
        },
      },
      resolveConfig({ tls: { contentHash: HASH } }),
    );
    expect(pod.metadata?.annotations?.['kafka-warden.io/tls-content-hash']).toBe(HASH);
  });

  test('the schema takes a quoted string only: an unquoted all-digit hash is a YAML number', () => {
    expect(() => parseConfig('tls: {contentHash: 12345}\n', 'c.yaml')).toThrow(/tls\.contentHash/);
    expect(parseConfig('tls: {contentHash: "12345"}\n', 'c.yaml').tls.contentHash).toBe('12345');
  });
});
