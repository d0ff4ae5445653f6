/**
 * Which Apache Kafka a broker image runs, and protocol version strings. Confluent Platform tags
 * (`6.1.0`, `6.1.0-1-ubi8`) map to Kafka by minor release (Confluent's "Supported Versions and
 * Interoperability" table); a tag this table does not know is reported as unknown, never guessed.
 */
import { imageRepository, imageTag } from '../core/detect';

export interface KafkaVersion {
  major: number;
  minor: number;
}

/** Confluent Platform major.minor → Apache Kafka major.minor. */
const CP_TO_KAFKA: Readonly<Record<string, string>> = {
  '4.0': '1.0',
  '4.1': '1.1',
  '5.0': '2.0',
  '5.1': '2.1',
  '5.2': '2.2',
  '5.3': '2.3',
  '5.4': '2.4',
  '5.5': '2.5',
  '6.0': '2.6',
  '6.1': '2.7',
  '6.2': '2.8',
  '7.0': '3.0',
  '7.1': '3.1',
  '7.2': '3.2',
  '7.3': '3.3',
  '7.4': '3.4',
  '7.5': '3.5',
  '7.6': '3.6',
  '7.7': '3.7',
  '7.8': '3.8',
  '7.9': '3.9',
  '8.0': '4.0',
};

/** From Confluent Platform 8.0 on, brokers run in KRaft mode only: ZooKeeper mode is gone. */
export const FIRST_KRAFT_ONLY_CP_MAJOR = 8;
export const FIRST_KRAFT_ONLY_KAFKA_MAJOR = 4;

export type ImageVersion =
  | {
      known: true;
      kafka: KafkaVersion;
      /** The Confluent Platform version when the image is a Confluent one. */
      platform?: KafkaVersion;
    }
  | {
      known: false;
      /** Why the Kafka version cannot be told. */
      reason: string;
      /** Set when the tag shows a Confluent Platform release without ZooKeeper mode. */
      kraftOnly: boolean;
    };

const RELEASE_TAG = /^v?(\d+)\.(\d+)\.(\d+)(?:[-.+_].*)?$/;

export function imageVersion(image: string | undefined): ImageVersion {
  if (!image) return { known: false, reason: 'the container has no image', kraftOnly: false };
  const tag = imageTag(image);
  if (tag === undefined) {
    return { known: false, reason: `image ${image} has no tag (a digest only)`, kraftOnly: false };
  }
  const match = RELEASE_TAG.exec(tag);
  if (!match) {
    return { known: false, reason: `tag "${tag}" is not a release version`, kraftOnly: false };
  }
  const release = { major: Number(match[1]), minor: Number(match[2]) };
  // Apache's own images are tagged with the Kafka version itself.
  if (/(^|\/)apache\/kafka(-native)?$/.test(imageRepository(image))) {
    return { known: true, kafka: release };
  }
  const kafka = CP_TO_KAFKA[`${release.major}.${release.minor}`];
  if (!kafka) {
    return {
      known: false,
      reason: `Confluent Platform ${release.major}.${release.minor} is not in kafka-warden's version table`,
      kraftOnly: release.major >= FIRST_KRAFT_ONLY_CP_MAJOR,
    };
  }
  const parsed = parseVersion(kafka) as KafkaVersion;
  return { known: true, kafka: parsed, platform: release };
}

/** `2.5`, `2.5-IV0`, `2.5.1`, `0.11.0` → major.minor; anything else → undefined. */
export function parseVersion(text: string | undefined): KafkaVersion | undefined {
  const match = /^(\d+)\.(\d+)(?:[.-]|$)/.exec(text?.trim() ?? '');
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

export function compareVersions(a: KafkaVersion, b: KafkaVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function formatVersion(version: KafkaVersion): string {
  return `${version.major}.${version.minor}`;
}
