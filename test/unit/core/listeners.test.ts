import { resolveConfig, type PartialConfig } from '../../../src/core/config';
import { advertisedListeners, planListeners, protocolMap } from '../../../src/core/listeners';

const ctx = {
  cluster: 'c',
  headlessService: 'c-headless',
  replicas: 3,
  chartFirstListenerPort: null,
};
const plan = (partial: PartialConfig, chartFirst: number | null = null) =>
  planListeners({ ...ctx, chartFirstListenerPort: chartFirst }, resolveConfig(partial));

describe('listener planning', () => {
  test.each<[string, PartialConfig]>([
    ['defaults', {}],
    ['TLS only', { tls: { keepPlaintext: false } }],
    ['TLS off', { tls: { enabled: false } }],
    ['nodeport', { listeners: { external: { mode: 'nodeport' } } }],
    [
      'loadbalancer',
      { listeners: { external: { mode: 'loadbalancer', hostTemplate: 'b{id}.k.example.com' } } },
    ],
    [
      'hostname without TLS',
      {
        tls: { enabled: false },
        listeners: { external: { mode: 'hostname', hostTemplate: 'k{id}.example.com' } },
      },
    ],
    ['SASL', { sasl: { enabled: true } }],
    ['SASL, TLS only', { tls: { keepPlaintext: false }, sasl: { enabled: true } }],
    [
      'SASL with nodeport',
      { sasl: { enabled: true }, listeners: { external: { mode: 'nodeport' } } },
    ],
    [
      'SASL while migrating',
      { sasl: { enabled: true }, tls: { interBrokerListener: 'PLAINTEXT' } },
    ],
    [
      'SASL with the SSL listener kept',
      { sasl: { enabled: true, keepSslListener: true }, tls: { keepPlaintext: false } },
    ],
    [
      'SASL with the SSL listener kept, replicating over SASL_SSL',
      { sasl: { enabled: true, keepSslListener: true }, tls: { interBrokerListener: 'SASL_SSL' } },
    ],
  ])('%s: the protocol map names exactly the advertised listeners', (_n, partial) => {
    const p = plan(partial);
    const advertisedNames = advertisedListeners(p)
      .split(',')
      .map((l) => l.split('://')[0]);
    const mapNames = protocolMap(p)
      .split(',')
      .map((m) => m.split(':')[0]);
    expect(mapNames).toEqual(advertisedNames);
    expect(advertisedNames).toContain(p.interBrokerListener);
  });

  test.each<[string, PartialConfig]>([
    ['TLS', {}],
    ['SASL', { sasl: { enabled: true } }],
  ])(
    '%s: every TLS listener name contains SSL, so the image runs its keystore checks',
    (_n, extra) => {
      const p = plan({ ...extra, listeners: { external: { mode: 'nodeport' } } });
      const tlsListeners = p.listeners.filter((x) => x.protocol !== 'PLAINTEXT');
      expect(tlsListeners).toHaveLength(2);
      for (const l of tlsListeners) expect(`${l.name}://`).toContain('SSL://');
    },
  );

  test('with SASL the in-cluster TLS listener is SASL_SSL (name and protocol) and carries inter-broker traffic; the image runs its SASL checks for it', () => {
    const p = plan({ sasl: { enabled: true } });
    expect(p.listeners.map((l) => [l.name, l.protocol])).toEqual([
      ['PLAINTEXT', 'PLAINTEXT'],
      ['SASL_SSL', 'SASL_SSL'],
    ]);
    expect(p.interBrokerListener).toBe('SASL_SSL');
    expect(p.internalPort).toBe(9093);
    // configure: `[[ $KAFKA_ADVERTISED_LISTENERS =~ .*SASL_.*://.* ]]` runs the KAFKA_OPTS check.
    expect(advertisedListeners(p)).toMatch(/SASL_.*:\/\//);
    expect(protocolMap(p)).toBe('PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL');
  });

  test('without SASL no listener matches the SASL check', () => {
    expect(
      advertisedListeners(plan({ listeners: { external: { mode: 'nodeport' } } })),
    ).not.toMatch(/SASL_.*:\/\//);
  });

  test("nodeport honours the chart's firstListenerPort", () => {
    expect(
      advertisedListeners(plan({ listeners: { external: { mode: 'nodeport' } } }, 32000)),
    ).toContain('EXTERNAL_SSL://${HOST_IP}:$((32000 + ${KAFKA_BROKER_ID}))');
  });

  test('no external mode drops the EXTERNAL listener the chart advertises with nothing behind it', () => {
    expect(advertisedListeners(plan({}))).not.toContain('EXTERNAL');
  });

  test('loadbalancer advertises the host template with the broker id', () => {
    expect(
      advertisedListeners(
        plan({
          listeners: {
            external: { mode: 'loadbalancer', port: 9094, hostTemplate: 'b{id}.k.example.com' },
          },
        }),
      ),
    ).toContain('EXTERNAL_SSL://b${KAFKA_BROKER_ID}.k.example.com:9094');
  });

  test('loadbalancer without a host template fails with KW_EXTERNAL_HOST', () => {
    expect(() => plan({ listeners: { external: { mode: 'loadbalancer' } } })).toThrow(
      /hostTemplate/,
    );
  });

  test('keeping PLAINTEXT still replicates over SSL by default; PLAINTEXT inter-broker is a migration option', () => {
    expect(plan({}).interBrokerListener).toBe('SSL');
    expect(plan({ tls: { interBrokerListener: 'PLAINTEXT' } }).interBrokerListener).toBe(
      'PLAINTEXT',
    );
    expect(
      plan({ tls: { interBrokerListener: 'PLAINTEXT', keepPlaintext: false } }).interBrokerListener,
    ).toBe('SSL');
  });

  // The rolls between SSL and SASL_SSL (docs/policy.md, listener-migration) need both listeners on
  // every broker while inter-broker traffic stays on one of them, then moves to the other.
  test.each<[string, PartialConfig, [string, string, number | null][], string, number]>([
    [
      'SASL with the SSL listener kept replicates over SSL (the first roll from SSL)',
      { tls: { keepPlaintext: false }, sasl: { enabled: true, keepSslListener: true } },
      [
        ['SASL_SSL', 'SASL_SSL', 9093],
        ['SSL', 'SSL', 9095],
      ],
      'SSL',
      9095,
    ],
    [
      'interBrokerListener SASL_SSL with the SSL listener kept switches to SASL_SSL (the second roll)',
      {
        tls: { keepPlaintext: false, interBrokerListener: 'SASL_SSL' },
        sasl: { enabled: true, keepSslListener: true },
      },
      [
        ['SASL_SSL', 'SASL_SSL', 9093],
        ['SSL', 'SSL', 9095],
      ],
      'SASL_SSL',
      9093,
    ],
    [
      'the kept SSL listener takes sasl.sslListenerPort',
      { sasl: { enabled: true, keepSslListener: true, sslListenerPort: 19093 } },
      [
        ['PLAINTEXT', 'PLAINTEXT', 9092],
        ['SASL_SSL', 'SASL_SSL', 9093],
        ['SSL', 'SSL', 19093],
      ],
      'SSL',
      19093,
    ],
    [
      'keepSslListener without SASL changes nothing',
      { sasl: { keepSslListener: true } },
      [
        ['PLAINTEXT', 'PLAINTEXT', 9092],
        ['SSL', 'SSL', 9093],
      ],
      'SSL',
      9093,
    ],
  ])('%s', (_n, partial, listeners, interBroker, internalPort) => {
    const p = plan(partial);
    expect(p.listeners.map((l) => [l.name, l.protocol, l.containerPort])).toEqual(listeners);
    expect(p.interBrokerListener).toBe(interBroker);
    expect(p.internalPort).toBe(internalPort);
  });

  test('interBrokerListener SASL_SSL without SASL is refused: there is no such listener', () => {
    expect(() => plan({ tls: { interBrokerListener: 'SASL_SSL' } })).toThrow(/needs sasl.enabled/);
  });
});
