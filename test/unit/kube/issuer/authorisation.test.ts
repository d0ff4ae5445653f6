/**
 * The issuer's authorisation as serve reads it from its flags: the StatefulSets the platform names,
 * and never a list that would hand one principal to two of them.
 */
import {
  parseAuthorisation,
  type AuthorisationFlags,
} from '../../../../src/kube/issuer/authorisation';
import { expectWardenError } from '../../tls/fixtures';

const flags = (overrides: Partial<AuthorisationFlags>): AuthorisationFlags => ({
  clusters: undefined,
  externalCluster: undefined,
  namespaces: undefined,
  ...overrides,
});

describe('parseAuthorisation', () => {
  test('reads NAMESPACE/STATEFULSET pairs and the one external cluster among them', () => {
    expect(
      parseAuthorisation(
        flags({
          clusters: ' kafka/my-cp-cp-kafka, kafka-dev/dev-cp-kafka,kafka/my-cp-cp-kafka ',
          externalCluster: 'kafka/my-cp-cp-kafka',
          namespaces: ['kafka', 'kafka-dev', 'team-a'],
        }),
      ),
    ).toEqual({
      clusters: new Set(['kafka/my-cp-cp-kafka', 'kafka-dev/dev-cp-kafka']),
      externalCluster: 'kafka/my-cp-cp-kafka',
    });
  });

  test('one StatefulSet name in several namespaces: the principals differ by namespace', () => {
    expect(
      parseAuthorisation(flags({ clusters: 'kafka/kafka-cp-kafka,team-a/kafka-cp-kafka' }))
        .clusters,
    ).toEqual(new Set(['kafka/kafka-cp-kafka', 'team-a/kafka-cp-kafka']));
    expect(
      parseAuthorisation(flags({ clusters: 'kafka/my-cp,team-a/my-cp-client' })).clusters.size,
    ).toBe(2);
  });

  test('no external cluster unless one is named', () => {
    expect(parseAuthorisation(flags({ clusters: 'kafka/k' })).externalCluster).toBeNull();
  });

  test.each<[string, Partial<AuthorisationFlags>, RegExp]>([
    ['no list: the issuer would have nothing it may sign for', {}, /needs --issuer-clusters/],
    ['an empty list', { clusters: ' , ' }, /needs --issuer-clusters/],
    ['a namespace without a StatefulSet', { clusters: 'kafka' }, /"kafka" is not NAMESPACE\//],
    ['a wildcard', { clusters: 'kafka/*' }, /"\*" is not a StatefulSet name/],
    ['three parts', { clusters: 'a/b/c' }, /"a\/b\/c" is not NAMESPACE\//],
    ['an upper-case namespace', { clusters: 'Kafka/k' }, /is not NAMESPACE\//],
    [
      'brokers named like the components of another cluster in their namespace',
      { clusters: 'kafka/my-cp,kafka/my-cp-client' },
      /kafka\/my-cp-client, whose brokers would share the principal CN=my-cp-client.kafka with the components of kafka\/my-cp/,
    ],
    [
      'a cluster in a namespace the issuer does not cover',
      { clusters: 'kafka/k,team-a/t', namespaces: ['kafka'] },
      /names team-a\/t, but --issuer-namespaces does not cover namespace team-a/,
    ],
    [
      'an external cluster not in the list',
      { clusters: 'kafka/k', externalCluster: 'team-a/t' },
      /--issuer-external-cluster team-a\/t is not one of --issuer-clusters/,
    ],
    [
      'an external cluster that is not a pair',
      { clusters: 'kafka/k', externalCluster: 'k' },
      /--issuer-external-cluster: "k" is not NAMESPACE\//,
    ],
  ])('refuses %s', async (_what, overrides, message) => {
    await expectWardenError(() => parseAuthorisation(flags(overrides)), 'KW_USAGE', message);
  });
});
