/**
 * Kafka settings as the Confluent images read them from the environment: `KAFKA_` stripped,
 * lower-cased, `___` → `-`, `__` → `_`, `_` → `.` (confluentinc/kafka-images, `configure`). Rules
 * name properties (`inter.broker.protocol.version`); the env name follows from the convention.
 */
import type { Container } from '../core/k8s-types';

export type Setting =
  | { state: 'absent' }
  | { state: 'literal'; value: string }
  /** Set through valueFrom (a Secret or ConfigMap key): its value is not in the object. */
  | { state: 'indirect' };

const envNames = new Map<string, string>();

/** Memoised: rules ask for the same few properties on every admission request. */
export function envNameFor(property: string): string {
  let name = envNames.get(property);
  if (name === undefined) {
    const encoded = property.replace(/[-_.]/g, (c) => (c === '-' ? '___' : c === '_' ? '__' : '_'));
    name = `KAFKA_${encoded.toUpperCase()}`;
    envNames.set(property, name);
  }
  return name;
}

export function propertyFor(envName: string): string | undefined {
  if (!envName.startsWith('KAFKA_')) return undefined;
  return envName
    .slice('KAFKA_'.length)
    .toLowerCase()
    .replace(/___|__|_/g, (m) => (m === '___' ? '-' : m === '__' ? '_' : '.'));
}

export function readSetting(container: Container, property: string): Setting {
  const name = envNameFor(property);
  // The last entry wins, as in the kubelet.
  const env = container.env ?? [];
  let entry: (typeof env)[number] | undefined;
  for (let i = env.length - 1; i >= 0 && !entry; i--) if (env[i]?.name === name) entry = env[i];
  if (!entry) return { state: 'absent' };
  if (entry.valueFrom !== undefined) return { state: 'indirect' };
  return { state: 'literal', value: String(entry.value ?? '').trim() };
}

export function literalSetting(container: Container, property: string): string | undefined {
  const setting = readSetting(container, property);
  return setting.state === 'literal' ? setting.value : undefined;
}

/** `property (env NAME)`, the form messages use so that both vocabularies find it. */
export function describeSetting(property: string): string {
  return `${property} (env ${envNameFor(property)})`;
}
