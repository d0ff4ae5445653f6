import { DEFAULT_CONFIG } from '../../../src/core/config';
import { detectWorkload, imageIs, imageRepository, imageTag } from '../../../src/core/detect';

describe('workload detection', () => {
  test("the chart's broker container name is decisive, whatever the labels", () => {
    const found = detectWorkload(
      {},
      { containers: [{ name: 'cp-kafka-broker', image: 'my/kafka:1' }] },
      DEFAULT_CONFIG,
    );
    expect(found?.role).toBe('kafka');
  });

  test('the canary test Pod runs the broker image but is not a broker (no cp-kafka label)', () => {
    const found = detectWorkload(
      { labels: {} },
      { containers: [{ name: 'my-cp-canary', image: 'confluentinc/cp-enterprise-kafka:6.1.0' }] },
      DEFAULT_CONFIG,
    );
    expect(found).toBeNull();
  });

  test('an image match with the labels finds a renamed container', () => {
    const found = detectWorkload(
      { labels: { app: 'cp-kafka', release: 'x' } },
      {
        containers: [
          { name: 'sidecar', image: 'busybox' },
          { name: 'broker', image: 'registry.corp.example/confluentinc/cp-server:7.0.1' },
        ],
      },
      DEFAULT_CONFIG,
    );
    expect(found?.container.name).toBe('broker');
  });

  test('ZooKeeper by container name', () => {
    expect(
      detectWorkload({}, { containers: [{ name: 'cp-zookeeper-server' }] }, DEFAULT_CONFIG)?.role,
    ).toBe('zookeeper');
  });

  test.each([
    ['confluentinc/cp-kafka:6.1.0', 'confluentinc/cp-kafka', '6.1.0'],
    ['docker.io/confluentinc/cp-kafka@sha256:abc', 'confluentinc/cp-kafka', undefined],
    [
      'localhost:5000/confluentinc/cp-kafka:7.0.0@sha256:abc',
      'localhost:5000/confluentinc/cp-kafka',
      '7.0.0',
    ],
  ])('parses %s', (image, repo, tag) => {
    expect(imageRepository(image)).toBe(repo);
    expect(imageTag(image)).toBe(tag);
  });

  test('a repository that merely starts the same is not a match', () => {
    expect(imageIs('confluentinc/cp-kafka-connect:6.1.0', 'confluentinc/cp-kafka')).toBe(false);
    expect(imageIs('evil/confluentinc/cp-kafka:1', 'confluentinc/cp-kafka')).toBe(true);
  });
});
