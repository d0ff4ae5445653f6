/**
 * SASL settings in the shape the Confluent images consume them (../shared/DOMAIN.md §2).
 *
 * Brokers: the JAAS file comes from a Secret mounted read-only, and the JVM finds it through
 * `-Djava.security.auth.login.config=<path>` appended to KAFKA_OPTS (the image refuses a SASL
 * listener without KAFKA_OPTS). Clients of the chart's other components read `sasl.jaas.config`
 * through Kafka's FileConfigProvider from their own Secret, as they read their store passwords.
 * The JAAS content (the passwords) is never an env value, an argument or part of the start script.
 */
import type { SaslMechanism } from './config';

export const JAAS_DIR = '/etc/kafka/jaas';
export const CLIENT_JAAS_DIR = '/etc/kafka/client-jaas';
export const JAAS_VOLUME = 'kafka-warden-jaas';
export const CLIENT_JAAS_VOLUME = 'kafka-warden-client-jaas';

/** Keys of the JAAS Secrets; also the file names under the mounts. */
export const JAAS_KEYS = {
  /** The brokers' JAAS file: `KafkaServer` (users and the inter-broker login), `KafkaClient`. */
  broker: 'kafka_server_jaas.conf',
  /** A properties file with one key, `sasl.jaas.config`, for clients. */
  client: 'sasl-jaas.properties',
} as const;
export const CLIENT_JAAS_PROPERTY = 'sasl.jaas.config';

/** What the brokers' KAFKA_OPTS must contain; appended to the options the container already has. */
export const JAAS_LOGIN_OPTION = `-Djava.security.auth.login.config=${JAAS_DIR}/${JAAS_KEYS.broker}`;
export const LOGIN_CONFIG_PROPERTY = 'java.security.auth.login.config';

export function brokerSaslEnv(mechanism: SaslMechanism): [string, string][] {
  return [
    ['KAFKA_SASL_ENABLED_MECHANISMS', mechanism],
    ['KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL', mechanism],
  ];
}

/**
 * What a client needs besides its SSL settings (clientTlsEnv with protocol SASL_SSL) under an env
 * prefix: the mechanism and, through FileConfigProvider, its login. Without `jaasDir` the client
 * finds its login in the JVM's JAAS file (`KafkaClient` section): the brokers' own metrics reporter.
 */
export function clientSaslEnv(
  prefix: string,
  mechanism: SaslMechanism,
  jaasDir: string | null,
): [string, string][] {
  const env: [string, string][] = [[`${prefix}SASL_MECHANISM`, mechanism]];
  if (jaasDir !== null) {
    env.push([
      `${prefix}SASL_JAAS_CONFIG`,
      `\${file:${jaasDir}/${JAAS_KEYS.client}:${CLIENT_JAAS_PROPERTY}}`,
    ]);
  }
  return env;
}
