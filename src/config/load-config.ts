/**
 * Reads and validates an injection configuration file. Validation uses the published JSON Schema
 * (schema.json) so that editors, CI and kafka-warden agree on what is valid.
 */
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import { resolveConfig, type PartialConfig, type WardenConfig } from '../core/config';
import { WardenError } from '../core/errors';
import { loadYaml11 } from '../manifests/yaml11';
import schema from './schema.json';

export function loadConfigFile(path: string): WardenConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WardenError(
      'KW_CONFIG_READ',
      `cannot read configuration ${path}: ${(error as Error).message}`,
    );
  }
  return parseConfig(text, path);
}

export function parseConfig(text: string, source: string): WardenConfig {
  let data: unknown;
  try {
    data = loadYaml11(text) ?? {};
  } catch (error) {
    throw new WardenError(
      'KW_CONFIG_INVALID',
      `${source}: not valid YAML: ${(error as Error).message}`,
    );
  }
  const config = resolveConfig(validateConfig(data, source));
  const { mode, hostTemplate } = config.listeners.external;
  if ((mode === 'loadbalancer' || mode === 'hostname') && !hostTemplate) {
    // Checked here too, not only at render time, so the webhook refuses such a policy at start-up.
    throw new WardenError(
      'KW_CONFIG_INVALID',
      `${source}: invalid configuration:\n  listeners.external.hostTemplate: required when listeners.external.mode is ${mode} (e.g. "b{id}.kafka.example.com")`,
    );
  }
  if (config.sasl.enabled && !config.tls.enabled) {
    // SASL_SSL rides on the TLS listener and its stores; SASL_PLAINTEXT would send PLAIN passwords in clear.
    throw new WardenError(
      'KW_CONFIG_INVALID',
      `${source}: invalid configuration:\n  sasl.enabled: needs tls.enabled (SASL is offered only as SASL_SSL)`,
    );
  }
  if (config.tls.interBrokerListener === 'SASL_SSL' && !config.sasl.enabled) {
    throw new WardenError(
      'KW_CONFIG_INVALID',
      `${source}: invalid configuration:\n  tls.interBrokerListener: SASL_SSL needs sasl.enabled (there is no SASL_SSL listener without it)`,
    );
  }
  return config;
}

export function validateConfig(data: unknown, source: string): PartialConfig {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile<PartialConfig>(schema);
  if (validate(data)) return data;
  const problems = (validate.errors ?? []).map(describe);
  throw new WardenError(
    'KW_CONFIG_INVALID',
    `${source}: invalid configuration:\n  ${[...new Set(problems)].join('\n  ')}`,
  );
}

function describe(error: ErrorObject): string {
  const field = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `${field === '(top level)' ? '' : `${field}.`}${extra}: unknown field`;
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `${field}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${field}: ${error.message ?? error.keyword}`;
}
