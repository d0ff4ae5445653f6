/**
 * Failures that stop a transformation or a command, each with a stable code that the docs list
 * (docs/errors.md; test/unit/core/errors.test.ts fails when a code is missing there). Denials by policy
 * are not errors: they are values.
 */
export const ERROR_CODES = {
  KW_INPUT_EMPTY: 'the input holds no manifest',
  KW_INPUT_YAML: 'a document is not valid YAML',
  KW_INPUT_NOT_MAPPING: 'a document is not a mapping (a Kubernetes object)',
  KW_INPUT_FIELD:
    'a field kafka-warden reads or changes does not have its Kubernetes type (a list, a mapping, a string)',
  KW_CONFIG_INVALID: 'the configuration does not match its schema',
  KW_CONFIG_READ: 'the configuration file cannot be read',
  KW_CONFIG_WEBHOOK:
    'the configuration needs objects besides pods changed, which the mutating webhook cannot do whole',
  KW_BROKER_COMMAND: "the broker container's command is not one kafka-warden can safely extend",
  KW_BROKER_KAFKA_OPTS:
    "the broker's KAFKA_OPTS cannot take the JAAS option: it comes from valueFrom or names another JAAS file",
  KW_BROKER_SETTING:
    "a setting in the chart's values conflicts with one kafka-warden sets, or two listeners (or the JMX port) share a port",
  KW_EXTERNAL_HOST: 'an external listener mode needs a host template',
  KW_EXTERNAL_PORT_CONFLICT:
    "the configured first NodePort disagrees with the chart's NodePort Services",
  KW_BROKER_COUNT:
    "a Kafka StatefulSet's spec.replicas is not a broker count kafka-warden can work with",
  KW_PDB_SELECTOR:
    'a PodDisruptionBudget cannot be upgraded to policy/v1 without changing its meaning',
  KW_TLS_INPUT: 'TLS material, a certificate or a name given to kafka-warden certs cannot be used',
  KW_TLS_CA:
    'the CA cannot sign: not a CA, key mismatch, not an RSA key, encrypted, or not valid now',
  KW_TLS_OUTPUT:
    'TLS material cannot be written: a file exists (no --force), or the directory cannot be created or written',
  KW_POLICY_INVALID: 'the policy does not match its schema',
  KW_POLICY_READ: 'the policy file cannot be read',
  KW_INPUT_READ: 'a manifest file given to kafka-warden check cannot be read',
  KW_INPUT_DUPLICATE:
    'the same object (kind, namespace, name) appears twice in one set of manifests',
  KW_POLICY_DENIED: 'the policy denies the rendered release',
  KW_KAFKA_CONNECT:
    'Kafka cannot be reached: no answer at the address, a TLS or SASL failure, or a deadline passed',
  KW_KAFKA_REQUEST:
    'Kafka answered a request with an error (an ACL, a missing topic, a broker error)',
  KW_PLAN_IMPOSSIBLE: 'no reassignment plan fits: a replication factor exceeds the broker count',
  KW_SERVE_LISTEN:
    'serve cannot listen on its address: in use, not permitted, or not an address of this machine',
  KW_USAGE: 'the command line is not valid',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class WardenError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WardenError';
  }
}
