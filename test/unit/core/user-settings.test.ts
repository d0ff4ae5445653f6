/**
 * The chart's values can set what kafka-warden sets (cp-kafka.configurationOverrides become KAFKA_*
 * env, customEnv is added as it is). Each such setting is honoured where it agrees, or refused with
 * both values and the configuration key that decides: never a broker Kafka refuses to start, never a
 * setting silently replaced.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { resolveConfig, type PartialConfig } from '../../../src/core/config';
import type { Container, KubeObject, StatefulSetSpec } from '../../../src/core/k8s-types';
import { transformManifests } from '../../../src/core/transform-manifests';
import { mutationApp } from '../../support/app';
import { admissionReview, podFromStatefulSet } from '../../support/pods';
import { sharedDir } from '../../support/paths';

const DEFAULT_RENDER = path.join(
  sharedDir(),
  'cp-helm-charts',
  'rendered',
  '0.6.1',
  'default.yaml',
);

/** The stock broker StatefulSet with env entries as configurationOverrides or customEnv add them. */
function brokerWith(env: Record<string, string>, advertised?: string): KubeObject {
  const sts = parseAllDocuments(readFileSync(DEFAULT_RENDER, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .find((o) => o?.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka') as KubeObject;
  const broker = brokerOf(sts);
  const entries = broker.env ?? [];
  for (const [name, value] of Object.entries(env)) {
    const existing = entries.find((e) => e.name === name);
    if (existing) existing.value = value;
    else entries.splice(entries.length - 1, 0, { name, value });
  }
  if (advertised !== undefined) {
    // As the chart's helper does: the override replaces the EXTERNAL part of the start script.
    broker.command = broker.command?.map((line) =>
      line.replace(
        /,EXTERNAL:\/\/\$\{HOST_IP\}:\$\(\(31090 \+ \$\{KAFKA_BROKER_ID\}\)\)/,
        `,${advertised}`,
      ),
    );
    entries.splice(entries.length - 1, 0, {
      name: 'KAFKA_ADVERTISED_LISTENERS',
      value: advertised,
    });
  }
  return sts;
}

function brokerOf(sts: KubeObject): Container {
  const broker = (sts.spec as StatefulSetSpec).template?.spec?.containers.find(
    (c) => c.name === 'cp-kafka-broker',
  );
  if (!broker) throw new Error('no broker container');
  return broker;
}

const inject = (sts: KubeObject, partial: PartialConfig = {}) => {
  transformManifests([sts], resolveConfig(partial));
  return brokerOf(sts);
};
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

describe('refused, naming both values and the key that decides', () => {
  test.each<[string, Record<string, string>, PartialConfig, RegExp[]]>([
    [
      'inter.broker.listener.name other than kafka-warden’s',
      { KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT' },
      {},
      [
        /"inter.broker.listener.name".* is PLAINTEXT, kafka-warden's is SSL/,
        /tls.interBrokerListener/,
      ],
    ],
    [
      'security.inter.broker.protocol, which Kafka refuses beside inter.broker.listener.name',
      { KAFKA_SECURITY_INTER_BROKER_PROTOCOL: 'PLAINTEXT' },
      {},
      [/"security.inter.broker.protocol".* is PLAINTEXT/, /inter.broker.listener.name SSL/],
    ],
    [
      'a protocol map giving one of kafka-warden’s listeners another protocol',
      { KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:SSL,EXTERNAL:PLAINTEXT' },
      {},
      [/maps PLAINTEXT to SSL, kafka-warden maps it to PLAINTEXT/, /tls.enabled/],
    ],
    [
      'listeners that are not kafka-warden’s',
      { KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092' },
      {},
      [/"listeners".* is PLAINTEXT:\/\/0.0.0.0:9092/, /SSL:\/\/:9093/, /tls.port/],
    ],
    [
      'a JMX port that is also a listener port',
      { KAFKA_JMX_PORT: '9093' },
      {},
      [
        /listener SSL \(tls.port\) and the JMX port \(the chart's cp-kafka.jmx.port.*\) both use port 9093/,
      ],
    ],
    [
      'a TLS port that is the chart’s JMX port',
      {},
      { tls: { port: 5555 } },
      [/listener SSL \(tls.port\) and the JMX port .* both use port 5555/],
    ],
    [
      'a metrics port that is a listener port',
      {},
      { metrics: { port: 9092 } },
      [
        /listener PLAINTEXT \(listeners.plaintextPort\) and the metrics exporter \(metrics.port\) both use port 9092/,
      ],
    ],
    [
      'a NodePort range over the TLS port',
      {},
      { tls: { port: 31091 }, listeners: { external: { mode: 'nodeport' } } },
      [
        /listener SSL \(tls.port\) and broker 1's NodePort listener .*firstListenerPort.* both use port 31091/,
      ],
    ],
    [
      'a JMX port in KAFKA_JMX_OPTS other than KAFKA_JMX_PORT',
      { KAFKA_JMX_OPTS: '-Dcom.sun.management.jmxremote.port=7777' },
      {},
      [/KAFKA_JMX_OPTS sets -Dcom.sun.management.jmxremote.port=7777, but the JMX port is 5555/],
    ],
    [
      'a JMX port in KAFKA_OPTS other than KAFKA_JMX_PORT',
      { KAFKA_OPTS: '-Xss1m -Dcom.sun.management.jmxremote.port=7777' },
      {},
      [/KAFKA_OPTS sets -Dcom.sun.management.jmxremote.port=7777/, /metrics.jmxPort/],
    ],
  ])('%s', (_n, env, partial, messages) => {
    const sts = brokerWith(env);
    let error: unknown;
    try {
      inject(sts, partial);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'KW_BROKER_SETTING' });
    for (const message of messages) expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^StatefulSet my-cp-cp-kafka: /);
  });

  test('a listener of the user’s own in advertised.listeners', () => {
    const sts = brokerWith(
      { KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT' },
      'INTERNAL://${POD_IP}:9095',
    );
    expect(() => inject(sts)).toThrow(
      /advertises listener\(s\) INTERNAL .*"advertised.listeners".*listeners.external/,
    );
  });
});

describe('honoured where it agrees', () => {
  test('the same inter-broker listener name', () => {
    const broker = inject(brokerWith({ KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT' }), {
      tls: { interBrokerListener: 'PLAINTEXT' },
    });
    expect(envOf(broker, 'KAFKA_INTER_BROKER_LISTENER_NAME')).toBe('PLAINTEXT');
  });

  test('protocol map entries for listeners kafka-warden does not define are kept', () => {
    const broker = inject(
      brokerWith({
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:
          'PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT,REPLICATION:SSL',
      }),
    );
    expect(envOf(broker, 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')).toBe(
      'PLAINTEXT:PLAINTEXT,SSL:SSL,EXTERNAL:PLAINTEXT,REPLICATION:SSL',
    );
  });

  test("the chart's own protocol map is the chart's: replaced, as before", () => {
    const broker = inject(brokerWith({}));
    expect(envOf(broker, 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')).toBe(
      'PLAINTEXT:PLAINTEXT,SSL:SSL',
    );
  });

  test('the chart’s documented NodePort override of advertised.listeners (EXTERNAL only)', () => {
    const broker = inject(brokerWith({}, 'EXTERNAL://${HOST_IP}:$((31090 + ${KAFKA_BROKER_ID}))'), {
      listeners: { external: { mode: 'nodeport' } },
    });
    expect(broker.command?.[2]).toContain(
      'EXTERNAL_SSL://${HOST_IP}:$((31090 + ${KAFKA_BROKER_ID}))',
    );
  });

  test('listeners that name exactly kafka-warden’s', () => {
    const broker = inject(
      brokerWith({ KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,SSL://0.0.0.0:9093' }),
    );
    expect(envOf(broker, 'KAFKA_LISTENERS')).toBe('PLAINTEXT://0.0.0.0:9092,SSL://0.0.0.0:9093');
  });

  test('a JMX option naming the same port as KAFKA_JMX_PORT', () => {
    const broker = inject(
      brokerWith({ KAFKA_JMX_OPTS: '-Dcom.sun.management.jmxremote.port=5555' }),
    );
    expect(envOf(broker, 'KAFKA_JMX_PORT')).toBe('5555');
  });
});

test('the webhook refuses the same: the pod is admitted unchanged, the warning names the setting', async () => {
  const pod = podFromStatefulSet(brokerWith({ KAFKA_SECURITY_INTER_BROKER_PROTOCOL: 'SSL' }), 0);
  const { app } = mutationApp();
  const res = await request(app).post('/mutate').send(admissionReview(pod)).expect(200);
  const response = (res.body as { response: { patch?: string; warnings?: string[] } }).response;
  expect(response.patch).toBeUndefined();
  expect(response.warnings?.[0]).toMatch(/security.inter.broker.protocol/);
});
