/**
 * Failures that stop a transformation or a command, each with a stable code that the docs list
 * (docs/errors.md; test/unit/errors.test.ts fails when a code is missing there). Denials by policy
 * are not errors: they are values.
 */
export const ERROR_CODES = {
  KW_INPUT_EMPTY: 'the input holds no manifest',
  KW_INPUT_YAML: 'a document is not valid YAML',
  KW_INPUT_NOT_MAPPING: 'a document is not a mapping (a Kubernetes object)',
  KW_CONFIG_INVALID: 'the configuration does not match its schema',
  KW_CONFIG_READ: 'the configuration file cannot be read',
  KW_BROKER_COMMAND: "the broker container's command is not one kafka-warden can safely extend",
  KW_EXTERNAL_HOST: 'an external listener mode needs a host template',
  KW_EXTERNAL_PORT_CONFLICT:
    "the configured first NodePort disagrees with the chart's NodePort Services",
  KW_PDB_SELECTOR:
    'a PodDisruptionBudget cannot be upgraded to policy/v1 without changing its meaning',
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
