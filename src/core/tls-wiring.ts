/**
 * TLS settings in the shape the Confluent images consume them (../shared/DOMAIN.md §2).
 *
 * Brokers: the image reads the store passwords from credential files in /etc/kafka/secrets, so
 * only file NAMES appear in env. Clients of the chart's other components have no such contract;
 * they read passwords through Kafka's FileConfigProvider (`${file:<path>:<key>}`), from the
 * `ssl-passwords.properties` key of the client Secret. Either way no password is ever an env value:
 * the images print their whole environment at start-up.
 */
import type { ClientAuth } from './config';

export const BROKER_SECRETS_DIR = '/etc/kafka/secrets';
export const CLIENT_SECRETS_DIR = '/etc/kafka/client-secrets';
export const BROKER_TLS_VOLUME = 'kafka-warden-tls';
export const CLIENT_TLS_VOLUME = 'kafka-warden-client-tls';
/**
 * On the Secrets src/tls makes, the SHA-256 of their data; on pod templates (tls.contentHash), the
 * value whose change rolls the pods onto renewed material.
 */
export const CONTENT_HASH_ANNOTATION = 'kafka-warden.io/tls-content-hash';

/** Keys of the broker and client Secrets; also the file names under the mount. */
export const SECRET_KEYS = {
  keystore: 'kafka.keystore.p12',
  truststore: 'kafka.truststore.p12',
  keystoreCredentials: 'keystore-credentials',
  keyCredentials: 'key-credentials',
  truststoreCredentials: 'truststore-credentials',
  passwordsProperties: 'ssl-passwords.properties',
} as const;

export function brokerTlsEnv(clientAuth: ClientAuth): [string, string][] {
  return [
    ['KAFKA_SSL_KEYSTORE_FILENAME', SECRET_KEYS.keystore],
    ['KAFKA_SSL_KEYSTORE_CREDENTIALS', SECRET_KEYS.keystoreCredentials],
    ['KAFKA_SSL_KEY_CREDENTIALS', SECRET_KEYS.keyCredentials],
    ['KAFKA_SSL_KEYSTORE_TYPE', 'PKCS12'],
    ['KAFKA_SSL_TRUSTSTORE_FILENAME', SECRET_KEYS.truststore],
    ['KAFKA_SSL_TRUSTSTORE_CREDENTIALS', SECRET_KEYS.truststoreCredentials],
    ['KAFKA_SSL_TRUSTSTORE_TYPE', 'PKCS12'],
    // The image loads the truststore only for required/requested; "none" is not offered because the
    // brokers' own inter-broker client then could not verify its peers.
    ['KAFKA_SSL_CLIENT_AUTH', clientAuth],
    ['KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM', 'https'],
  ];
}

/**
 * Client-side SSL settings under an env prefix such as `CONNECT_` or `KSQL_`. With SASL the
 * protocol is SASL_SSL and the truststore still verifies the brokers (src/core/sasl-wiring.ts).
 */
export function clientTlsEnv(
  prefix: string,
  secretsDir: string,
  protocol: 'SSL' | 'SASL_SSL' = 'SSL',
): [string, string][] {
  const passwords = `${secretsDir}/${SECRET_KEYS.passwordsProperties}`;
  return [
    [`${prefix}SECURITY_PROTOCOL`, protocol],
    [`${prefix}SSL_KEYSTORE_LOCATION`, `${secretsDir}/${SECRET_KEYS.keystore}`],
    [`${prefix}SSL_KEYSTORE_TYPE`, 'PKCS12'],
    [`${prefix}SSL_KEYSTORE_PASSWORD`, `\${file:${passwords}:keystore.password}`],
    [`${prefix}SSL_KEY_PASSWORD`, `\${file:${passwords}:key.password}`],
    [`${prefix}SSL_TRUSTSTORE_LOCATION`, `${secretsDir}/${SECRET_KEYS.truststore}`],
    [`${prefix}SSL_TRUSTSTORE_TYPE`, 'PKCS12'],
    [`${prefix}SSL_TRUSTSTORE_PASSWORD`, `\${file:${passwords}:truststore.password}`],
    [`${prefix}SSL_ENDPOINT_IDENTIFICATION_ALGORITHM`, 'https'],
    [`${prefix}CONFIG_PROVIDERS`, 'file'],
    [
      `${prefix}CONFIG_PROVIDERS_FILE_CLASS`,
      'org.apache.kafka.common.config.provider.FileConfigProvider',
    ],
  ];
}

/**
 * Where each cp-helm-charts component names its brokers, and the env prefixes of the Kafka clients
 * it builds from them (REST Proxy and Control Center use their own client prefixes).
 */
export const KAFKA_CLIENT_COMPONENTS: readonly {
  bootstrapEnv: string;
  clientPrefixes: string[];
}[] = [
  {
    bootstrapEnv: 'SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS',
    clientPrefixes: ['SCHEMA_REGISTRY_KAFKASTORE_'],
  },
  {
    bootstrapEnv: 'CONNECT_BOOTSTRAP_SERVERS',
    clientPrefixes: ['CONNECT_', 'CONNECT_PRODUCER_', 'CONNECT_CONSUMER_'],
  },
  { bootstrapEnv: 'KAFKA_REST_BOOTSTRAP_SERVERS', clientPrefixes: ['KAFKA_REST_CLIENT_'] },
  { bootstrapEnv: 'KSQL_BOOTSTRAP_SERVERS', clientPrefixes: ['KSQL_'] },
  { bootstrapEnv: 'CONTROL_CENTER_BOOTSTRAP_SERVERS', clientPrefixes: ['CONTROL_CENTER_STREAMS_'] },
  {
    bootstrapEnv: 'CONFLUENT_METRICS_REPORTER_BOOTSTRAP_SERVERS',
    clientPrefixes: ['CONFLUENT_METRICS_REPORTER_'],
  },
];
