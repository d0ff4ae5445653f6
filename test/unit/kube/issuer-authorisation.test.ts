/**
 * The issuer's authorisation as serve reads it from its flags: the list names each cluster once,
 * and no list can hand one principal to two StatefulSets.
 */
import {
  parseAuthorisation,
  type AuthorisationFlags,
} from '../../../src/kube/issuer-authorisation';
import { expectWardenError } from '../tls/fixtures';

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
      'one StatefulSet name in two namespaces: two clusters, one principal',
      { clusters: 'kafka/my-cp-cp-kafka,team-a/my-cp-cp-kafka' },
      /my-cp-cp-kafka in namespaces kafka and team-a: both would be the principal CN=my-cp-cp-kafka/,
    ],
    [
      "brokers named like another cluster's components",
      { clusters: 'kafka/my-cp,team-a/my-cp-client' },
      /team-a\/my-cp-client, whose brokers would be the principal CN=my-cp-client of the components of kafka\/my-cp/,
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
