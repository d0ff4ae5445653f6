/**
 * listener-migration: the listener brokers replicate over changes only in rolls where every broker,
 * restarted or not, advertises the listener each side replicates over. Each case is one UPDATE of
 * a broker StatefulSet, old template → new template, in the forms cp-helm-charts and kafka-warden's
 * injection write them (the start script's export, KAFKA_* env).
 */
import type { EnvVar, KubeObject, StatefulSetSpec } from '../../../src/core/k8s-types';
import { findingOf, kafka, update } from './fixtures';

interface Listeners {
  /** KAFKA_ADVERTISED_LISTENERS, or what the start script exports with `script: true`. */
  advertised?: string;
  map?: string;
  /** KAFKA_INTER_BROKER_LISTENER_NAME */
  interBroker?: string;
  /** KAFKA_SECURITY_INTER_BROKER_PROTOCOL */
  interBrokerProtocol?: string;
  replicas?: number;
  script?: boolean;
}

const BASE_ENV = {
  KAFKA_ZOOKEEPER_CONNECT: 'zk:2181',
  KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
};
const HOST = '${POD_NAME}.my-cp-cp-kafka-headless.${POD_NAMESPACE}';
const PLAINTEXT = `PLAINTEXT://${HOST}:9092`;
const SSL = `SSL://${HOST}:9093`;
const SASL_SSL = `SASL_SSL://${HOST}:9093`;
const KEPT_SSL = `SSL://${HOST}:9095`;
const CHART_EXTERNAL = 'EXTERNAL://${HOST_IP}:$((31090 + ${KAFKA_BROKER_ID}))';
const CHART_MAP = 'PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT';

function brokers(l: Listeners): KubeObject {
  const env: Record<string, string> = { ...BASE_ENV };
  if (l.advertised !== undefined && !l.script) env.KAFKA_ADVERTISED_LISTENERS = l.advertised;
  if (l.map !== undefined) env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP = l.map;
  if (l.interBroker !== undefined) env.KAFKA_INTER_BROKER_LISTENER_NAME = l.interBroker;
  if (l.interBrokerProtocol !== undefined)
    env.KAFKA_SECURITY_INTER_BROKER_PROTOCOL = l.interBrokerProtocol;
  const object = kafka({ env, replicas: l.replicas ?? 3 });
  if (l.script && l.advertised !== undefined) {
    const container = (object.spec as StatefulSetSpec).template?.spec?.containers[0];
    if (container) {
      // The chart's start script, as cp-kafka 0.6.1 renders it.
      container.command = [
        'sh',
        '-exc',
        'export KAFKA_BROKER_ID=${HOSTNAME##*-} && \\\n' +
          `export KAFKA_ADVERTISED_LISTENERS=${l.advertised} && \\\n` +
          'exec /etc/confluent/docker/run\n',
      ];
    }
  }
  return object;
}

async function judge(before: Listeners, after: Listeners) {
  return findingOf('listener-migration', update(brokers(before), brokers(after)));
}

// The stock chart, and the rolls of kafka-warden's PLAINTEXT → TLS migration.
const STOCK: Listeners = {
  advertised: `${PLAINTEXT},${CHART_EXTERNAL}`,
  map: CHART_MAP,
  script: true,
};
const TLS_BESIDE_PLAINTEXT = `${PLAINTEXT},${SSL}`;
const MAP_TLS = 'PLAINTEXT:PLAINTEXT,SSL:SSL';
const FIRST_ROLL: Listeners = {
  advertised: TLS_BESIDE_PLAINTEXT,
  map: MAP_TLS,
  interBroker: 'PLAINTEXT',
  script: true,
};
const TLS: Listeners = {
  advertised: TLS_BESIDE_PLAINTEXT,
  map: MAP_TLS,
  interBroker: 'SSL',
  script: true,
};
const TLS_ONLY: Listeners = { advertised: SSL, map: 'SSL:SSL', interBroker: 'SSL', script: true };
const SASL_ONLY: Listeners = {
  advertised: SASL_SSL,
  map: 'SASL_SSL:SASL_SSL',
  interBroker: 'SASL_SSL',
  script: true,
};
const SASL_BESIDE_SSL = `${SASL_SSL},${KEPT_SSL}`;
const MAP_BOTH = 'SASL_SSL:SASL_SSL,SSL:SSL';
const PLAIN_ONLY: Listeners = {
  advertised: PLAINTEXT,
  map: 'PLAINTEXT:PLAINTEXT',
  interBroker: 'PLAINTEXT',
  script: true,
};

describe('listener-migration', () => {
  test.each<[string, Listeners, Listeners, string[]]>([
    [
      'the stock chart → kafka-warden defaults (SSL added and replicated over in one roll): two rolls, the first with tls.interBrokerListener: PLAINTEXT',
      STOCK,
      TLS,
      [
        'from PLAINTEXT to SSL in one roll',
        'restarted brokers replicate over SSL, which the brokers not yet restarted do not advertise (they advertise PLAINTEXT, EXTERNAL (PLAINTEXT))',
        '(1) add SSL to every broker and keep replicating over PLAINTEXT',
        'tls.keepPlaintext: true and tls.interBrokerListener: PLAINTEXT',
        '(2) this change as it is: it switches inter-broker traffic to SSL',
      ],
    ],
    [
      'PLAINTEXT → TLS only (added, switched and dropped in one roll): three rolls',
      STOCK,
      TLS_ONLY,
      [
        'the brokers not yet restarted replicate over PLAINTEXT, which restarted brokers no longer advertise (they advertise SSL)',
        '(1) add SSL',
        '(2) switch inter-broker traffic to SSL',
        'tls.keepPlaintext: true and tls.interBrokerListener: SSL (the default)',
        '(3) this change as it is: it removes PLAINTEXT',
      ],
    ],
    [
      'switching to SSL and dropping PLAINTEXT in one roll: the switch first, the drop after',
      FIRST_ROLL,
      TLS_ONLY,
      [
        '(1) switch inter-broker traffic to SSL (inter.broker.listener.name SSL) with PLAINTEXT still on every broker',
        '(2) this change as it is: it removes PLAINTEXT',
      ],
    ],
    [
      'TLS → SASL with PLAINTEXT dropped (SSL renamed SASL_SSL): three rolls through sasl.keepSslListener',
      TLS_ONLY,
      SASL_ONLY,
      [
        'from SSL to SASL_SSL in one roll',
        '(1) add SASL_SSL to every broker and keep replicating over SSL',
        'sasl.keepSslListener: true',
        '(2) switch inter-broker traffic to SASL_SSL',
        'tls.interBrokerListener: SASL_SSL',
        '(3) this change as it is: it removes SSL',
      ],
    ],
    [
      'TLS beside PLAINTEXT → SASL beside PLAINTEXT: the same three rolls',
      TLS,
      {
        advertised: `${PLAINTEXT},${SASL_SSL}`,
        map: 'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
        interBroker: 'SASL_SSL',
        script: true,
      },
      [
        '(1) add SASL_SSL',
        'sasl.keepSslListener: true',
        '(3) this change as it is: it removes SSL',
      ],
    ],
    [
      'SASL_SSL → SSL (sasl.enabled turned off): three rolls, the first keeping SASL_SSL for inter-broker traffic',
      SASL_ONLY,
      TLS_ONLY,
      [
        'from SASL_SSL to SSL in one roll',
        'sasl.keepSslListener: true and tls.interBrokerListener: SASL_SSL',
        '(2) switch inter-broker traffic to SSL',
        '(3) this change as it is: it removes SASL_SSL',
      ],
    ],
    [
      'TLS beside PLAINTEXT → PLAINTEXT only (tls.enabled turned off): switch to PLAINTEXT first',
      TLS,
      PLAIN_ONLY,
      [
        'from SSL to PLAINTEXT in one roll',
        '(1) switch inter-broker traffic to PLAINTEXT',
        'tls.keepPlaintext: true and tls.interBrokerListener: PLAINTEXT',
        '(2) this change as it is: it removes SSL',
      ],
    ],
    [
      'TLS only → PLAINTEXT only: add PLAINTEXT, switch, then drop TLS',
      TLS_ONLY,
      PLAIN_ONLY,
      [
        '(1) add PLAINTEXT',
        'the configuration deployed now with tls.keepPlaintext: true',
        '(3) this change',
      ],
    ],
    [
      'a listener changing its protocol under the same name: traffic moves to a second name and back',
      { advertised: 'INTERNAL://b:9092', map: 'INTERNAL:PLAINTEXT', interBroker: 'INTERNAL' },
      { advertised: 'INTERNAL://b:9092', map: 'INTERNAL:SSL', interBroker: 'INTERNAL' },
      [
        'from INTERNAL (PLAINTEXT) to INTERNAL (SSL) in one roll',
        '(1) add a listener of protocol SSL under another name',
      ],
    ],
    [
      'one broker before and three after: the added brokers replicate from the old one',
      { ...STOCK, replicas: 1 },
      TLS,
      ['from PLAINTEXT to SSL in one roll'],
    ],
  ])('denies %s', async (_name, before, after, said) => {
    const finding = await judge(before, after);
    expect(finding).toMatchObject({ outcome: 'fail', mode: 'enforce' });
    for (const text of said) expect(finding.message).toContain(text);
    expect(finding.summary.length).toBeLessThanOrEqual(120);
  });

  test.each<[string, Listeners, Listeners]>([
    ['the first roll: SSL added, brokers still replicating over PLAINTEXT', STOCK, FIRST_ROLL],
    ['the second roll: inter-broker traffic to SSL, which every broker has', FIRST_ROLL, TLS],
    ['a roll that drops PLAINTEXT once nobody replicates over it', TLS, TLS_ONLY],
    [
      'SSL → SASL, first roll: SASL_SSL added, SSL kept and replicated over',
      TLS_ONLY,
      { advertised: SASL_BESIDE_SSL, map: MAP_BOTH, interBroker: 'SSL', script: true },
    ],
    [
      'SSL → SASL, second roll: switched to SASL_SSL with SSL still there',
      { advertised: SASL_BESIDE_SSL, map: MAP_BOTH, interBroker: 'SSL', script: true },
      { advertised: SASL_BESIDE_SSL, map: MAP_BOTH, interBroker: 'SASL_SSL', script: true },
    ],
    [
      'SSL → SASL, third roll: the kept SSL listener dropped once nobody replicates over it',
      { advertised: SASL_BESIDE_SSL, map: MAP_BOTH, interBroker: 'SASL_SSL', script: true },
      SASL_ONLY,
    ],
    [
      'a port change of the inter-broker listener (each broker registers its own address)',
      TLS,
      { ...TLS, advertised: `${PLAINTEXT},SSL://${HOST}:9443` },
    ],
    [
      'other listeners coming and going (the chart EXTERNAL dropped, EXTERNAL_SSL added)',
      { ...FIRST_ROLL, advertised: `${TLS_BESIDE_PLAINTEXT},${CHART_EXTERNAL}` },
      {
        ...FIRST_ROLL,
        advertised: `${TLS_BESIDE_PLAINTEXT},EXTERNAL_SSL://b\${KAFKA_BROKER_ID}.example.com:9094`,
        map: `${MAP_TLS},EXTERNAL_SSL:SSL`,
      },
    ],
    [
      'security.inter.broker.protocol SSL replaced by inter.broker.listener.name SSL: the same listener',
      { ...TLS, interBroker: undefined, interBrokerProtocol: 'SSL' },
      TLS,
    ],
    [
      'listener names in another case (Kafka upper-cases them)',
      { ...FIRST_ROLL, interBroker: 'plaintext' },
      FIRST_ROLL,
    ],
    [
      'a single broker before and after: nobody replicates from another',
      { ...STOCK, replicas: 1 },
      { ...TLS, replicas: 1 },
    ],
    ['no broker before (replicas 0): nobody runs the old template', { ...STOCK, replicas: 0 }, TLS],
  ])('allows %s', async (_name, before, after) => {
    expect((await judge(before, after)).outcome).toBe('pass');
  });

  test('the start script export wins over the env it runs after', async () => {
    const before = brokers(STOCK);
    const after = brokers(TLS);
    // An env value the export overrides: were it read, the old brokers would have SSL.
    const container = (before.spec as StatefulSetSpec).template?.spec?.containers[0];
    container?.env?.push({ name: 'KAFKA_ADVERTISED_LISTENERS', value: TLS_BESIDE_PLAINTEXT });
    const finding = await findingOf('listener-migration', update(before, after));
    expect(finding.outcome).toBe('fail');
  });

  test('without listener.security.protocol.map, Kafka default map applies (SSL is SSL)', async () => {
    const finding = await judge(
      { advertised: 'PLAINTEXT://b:9092' },
      { advertised: 'PLAINTEXT://b:9092,SSL://b:9093', interBroker: 'SSL' },
    );
    expect(finding.message).toContain('from PLAINTEXT to SSL in one roll');
  });

  describe('listeners it cannot read', () => {
    const fromSecret = (object: KubeObject): KubeObject => {
      const container = (object.spec as StatefulSetSpec).template?.spec?.containers[0];
      const env: EnvVar[] = container?.env ?? [];
      env.push({
        name: 'KAFKA_INTER_BROKER_LISTENER_NAME',
        valueFrom: { configMapKeyRef: { name: 'kafka', key: 'inter-broker' } },
      });
      return object;
    };

    test('unchanged: skipped, saying why', async () => {
      const finding = await findingOf(
        'listener-migration',
        update(fromSecret(brokers(TLS)), fromSecret(brokers(TLS))),
      );
      expect(finding.outcome).toBe('skip');
      expect(finding.summary).toContain('inter.broker.listener.name comes from valueFrom');
    });

    test('changed: a warning that the change cannot be checked, never a denial', async () => {
      const finding = await findingOf(
        'listener-migration',
        update(fromSecret(brokers(STOCK)), fromSecret(brokers(TLS))),
      );
      expect(finding.outcome).toBe('warn');
      expect(finding.message).toContain('first every broker gains the new listener');
    });

    test('no listeners anywhere in the object (the policy fixtures): skipped', async () => {
      const finding = await findingOf('listener-migration', update(kafka(), kafka()));
      expect(finding.outcome).toBe('skip');
    });
  });
});
