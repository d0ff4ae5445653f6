import { brokerSubjectAltNames, MAX_BROKERS, splitSubjectAltNames } from '../../../src/tls/sans';
import { expectWardenError } from './fixtures';

const CLUSTER = {
  cluster: 'my-cp-cp-kafka',
  headlessService: 'my-cp-cp-kafka-headless',
  namespace: 'kafka',
};

describe('brokerSubjectAltNames', () => {
  const names = brokerSubjectAltNames({ ...CLUSTER, replicas: 3 }).dns;

  test.each([
    [
      'each broker pod, fully qualified',
      'my-cp-cp-kafka-2.my-cp-cp-kafka-headless.kafka.svc.cluster.local',
    ],
    ['each broker pod, .svc', 'my-cp-cp-kafka-0.my-cp-cp-kafka-headless.kafka.svc'],
    [
      'each broker pod as advertised (<pod>.<headless>.<namespace>)',
      'my-cp-cp-kafka-1.my-cp-cp-kafka-headless.kafka',
    ],
    ['each broker pod, namespace-relative', 'my-cp-cp-kafka-1.my-cp-cp-kafka-headless'],
    ['the headless Service, fully qualified', 'my-cp-cp-kafka-headless.kafka.svc.cluster.local'],
    ['the headless Service, short', 'my-cp-cp-kafka-headless'],
    ['the client Service (named like the StatefulSet), .svc', 'my-cp-cp-kafka.kafka.svc'],
    ['the client Service, short', 'my-cp-cp-kafka'],
  ])('names %s', (_what, name) => {
    expect(names).toContain(name);
  });

  test('names exactly 4 forms of each of 3 brokers and 2 Services, without wildcards by default', () => {
    expect(names).toHaveLength(3 * 4 + 2 * 4);
    expect(names.some((n) => n.includes('*'))).toBe(false);
    expect(names.some((n) => n.startsWith('my-cp-cp-kafka-3.'))).toBe(false);
  });

  test('adds wildcards under the headless Service only when asked, never a one-label wildcard', () => {
    const dns = brokerSubjectAltNames({ ...CLUSTER, replicas: 1, wildcard: true }).dns;
    expect(dns.filter((n) => n.startsWith('*.'))).toEqual([
      '*.my-cp-cp-kafka-headless.kafka.svc.cluster.local',
      '*.my-cp-cp-kafka-headless.kafka.svc',
      '*.my-cp-cp-kafka-headless.kafka',
    ]);
  });

  test('expands the external host template for every broker id', () => {
    const sans = brokerSubjectAltNames({
      ...CLUSTER,
      replicas: 3,
      externalHostTemplate: 'b{id}.kafka.example.com',
    });
    expect(sans.dns.slice(-3)).toEqual([
      'b0.kafka.example.com',
      'b1.kafka.example.com',
      'b2.kafka.example.com',
    ]);
  });

  test('puts an external IP address into an IP SAN, which is what clients verify an IP against', () => {
    const sans = brokerSubjectAltNames({
      ...CLUSTER,
      replicas: 1,
      externalHostTemplate: '10.0.0.{id}',
    });
    expect(sans.ip).toEqual(['10.0.0.0']);
  });

  test('uses the given client Services and cluster domain', () => {
    const dns = brokerSubjectAltNames({
      ...CLUSTER,
      replicas: 1,
      clientServices: ['kafka-bootstrap'],
      clusterDomain: 'corp.internal',
    }).dns;
    expect(dns).toContain('kafka-bootstrap.kafka.svc.corp.internal');
    expect(dns).not.toContain('my-cp-cp-kafka.kafka');
  });

  test(`names up to ${MAX_BROKERS} brokers, each once`, () => {
    const dns = brokerSubjectAltNames({ ...CLUSTER, replicas: MAX_BROKERS }).dns;
    expect(dns).toHaveLength(MAX_BROKERS * 4 + 2 * 4);
    expect(dns).toContain(`my-cp-cp-kafka-${MAX_BROKERS - 1}.my-cp-cp-kafka-headless`);
  });

  test.each([0, -1, 1.5, MAX_BROKERS + 1, 16_000])('refuses %p replicas', async (replicas) => {
    await expectWardenError(
      () => brokerSubjectAltNames({ ...CLUSTER, replicas }),
      'KW_TLS_INPUT',
      /replicas/,
    );
  });
});

describe('splitSubjectAltNames', () => {
  test('lower-cases, drops repeats and keeps IPv4 and IPv6 apart from DNS names', () => {
    expect(
      splitSubjectAltNames(['Kafka.Example.COM', 'kafka.example.com', '::1', '127.0.0.1'], 'x'),
    ).toEqual({
      dns: ['kafka.example.com'],
      ip: ['::1', '127.0.0.1'],
    });
  });

  test('drops repeats in time linear in the names (64,000 took ~10 s when each was searched for)', () => {
    const names = Array.from({ length: 64_000 }, (_, i) => `b${i}.kafka.example.com`);
    const started = process.hrtime.bigint();
    const { dns } = splitSubjectAltNames([...names, ...names], 'x');
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(dns).toEqual(names);
    expect(ms).toBeLessThan(2_000);
  });

  test.each([
    ['an underscore', 'kafka_0.example.com'],
    ['a label ending in a hyphen', 'kafka-.example.com'],
    ['a wildcard not in the first label', 'kafka.*.example.com'],
    ['a URL', 'https://kafka.example.com'],
    ['an unexpanded shell variable', '${HOST_IP}'],
    ['an empty name', ''],
    ['a label of 64 characters', `${'a'.repeat(64)}.example.com`],
  ])('refuses %s, naming it', async (_what, name) => {
    await expectWardenError(
      () => splitSubjectAltNames([name], '--dns'),
      'KW_TLS_INPUT',
      /^--dns: ".*" is neither/,
    );
  });

  test.each([
    ['a trailing newline (not trimmed away)', 'kafka.example.com\n', 'U+000A'],
    ['a newline inside', 'kafka\nexample.com', 'U+000A'],
    ['a NUL', 'kafka.example.com\u0000.evil.com', 'U+0000'],
    ['a DEL', 'kafka\u007f.example.com', 'U+007F'],
    ['a zero-width space', 'kafka\u200b.example.com', 'U+200B'],
  ])('refuses %s, naming the character, on one line', async (_what, name, code) => {
    const error = await expectWardenError(
      () => splitSubjectAltNames([name], '--dns'),
      'KW_TLS_INPUT',
      /^--dns: ".*" holds a control character \(U\+[0-9A-F]{4}\)/,
    );
    expect(error.message).toContain(code);
    expect(error.message).not.toMatch(/[^\x20-\x7e]/);
  });

  test('keeps a DNS name to 253 characters', async () => {
    const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(splitSubjectAltNames([longest], '--dns').dns).toEqual([longest]);
    await expectWardenError(
      () => splitSubjectAltNames([`${longest}e`], '--dns'),
      'KW_TLS_INPUT',
      /^--dns: ".*" has 254 characters; a DNS name has at most 253$/,
    );
  });
});
