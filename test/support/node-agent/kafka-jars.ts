/**
 * Which Apache Kafka jars stand in for a Confluent image (the versions scripts/install-kafka.sh
 * caches): CP 6.1 is Kafka 2.7, CP 7.9 is Kafka 3.9 (../shared/DOMAIN.md §2). cp-zookeeper runs
 * the ZooKeeper those Kafka jars ship (3.5.9 with 2.7.2, 3.8.4 with 3.9.1). Any other tag fails the
 * pod with the image named: no silent substitution of one Kafka for another.
 */
import { imageTag } from '../../../src/core/detect';
import { classPath, kafkaLibs, type KafkaVersion } from '../../e2e/kafka/harness/install';

const BY_CP_MINOR: Record<string, KafkaVersion> = { '6.1': '2.7.2', '7.9': '3.9.1' };

export function kafkaVersionOf(image: string | undefined): KafkaVersion {
  const minor = /^(\d+\.\d+)\./.exec(imageTag(image) ?? '')?.[1] ?? '';
  const version = BY_CP_MINOR[minor];
  if (!version) {
    throw new Error(
      `image ${image}: no cached Kafka for Confluent Platform ${minor || '?'} (have ${Object.keys(BY_CP_MINOR).join(', ')})`,
    );
  }
  return version;
}

export function kafkaClassPath(image: string | undefined): string {
  return classPath(kafkaLibs(kafkaVersionOf(image)));
}
