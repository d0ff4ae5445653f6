/**
 * Shared by the chart tests: rendering charts/kafka-warden with a real Helm, reading the rendered
 * objects, and the embedding of the policy and injection schemas into values.schema.json.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { IsolatedHelm, type HelmMajor, type HelmRun } from '../../support/helm';
import { REPO_ROOT } from '../../support/paths';

export const CHART_DIR = path.join(REPO_ROOT, 'charts', 'kafka-warden');
export const WEBHOOK_CONFIG_DIR = path.join(REPO_ROOT, 'webhook-config');
export const HELM_MAJORS: readonly HelmMajor[] = [3, 4];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  clientConfig: {
    caBundle?: string;
    url?: string;
    service?: { name: string; namespace: string; path: string; port: number };
  };
  rules: {
    apiGroups: string[];
    apiVersions: string[];
    resources: string[];
    operations: string[];
    scope?: string;
  }[];
  matchPolicy?: string;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  matchConditions?: { name: string; expression: string }[];
  sideEffects: string;
  timeoutSeconds: number;
  failurePolicy: string;
  reinvocationPolicy?: string;
}

export interface WebhookConfiguration extends K8sObject {
  webhooks: Webhook[];
}

const helms = new Map<HelmMajor, IsolatedHelm>();
/** One isolated Helm per major for the whole test file. */
export function helm(major: HelmMajor): IsolatedHelm {
  let h = helms.get(major);
  if (!h) {
    h = new IsolatedHelm(major);
    helms.set(major, h);
  }
  return h;
}

const valuesDir = mkdtempSync(path.join(tmpdir(), 'kw-chart-values-'));
let valuesCount = 0;
/** Writes values to a file (JSON is YAML) and returns the `-f` arguments for it. */
export function valuesArgs(values: Record<string, unknown> | undefined): string[] {
  if (!values) return [];
  const file = path.join(valuesDir, `values-${++valuesCount}.yaml`);
  writeFileSync(file, JSON.stringify(values));
  return ['-f', file];
}

export interface TemplateOptions {
  values?: Record<string, unknown>;
  release?: string;
  namespace?: string;
  major?: HelmMajor;
  extraArgs?: string[];
}

/** `helm template`, returning Helm's output as is (the caller checks status and stderr). */
export function templateRun(opts: TemplateOptions = {}): HelmRun {
  return helm(opts.major ?? 3).run([
    'template',
    opts.release ?? 'kafka-warden',
    CHART_DIR,
    '--namespace',
    opts.namespace ?? 'kafka-warden',
    ...valuesArgs(opts.values),
    ...(opts.extraArgs ?? []),
  ]);
}

/** `helm template` that must succeed, parsed into objects. */
export function render(opts: TemplateOptions = {}): K8sObject[] {
  const run = templateRun(opts);
  if (run.status !== 0) throw new Error(`helm template failed (${run.status}):\n${run.stderr}`);
  return parseObjects(run.stdout);
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function find<T extends K8sObject = K8sObject>(
  objects: K8sObject[],
  kind: string,
  name?: string,
): T {
  const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  }
  return found[0] as T;
}

export function kinds(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
export interface RoleLike extends K8sObject {
  rules: Rule[];
}

/** Every (apiGroup, resource, verb[, name]) granted, across Roles and ClusterRoles, by namespace. */
export function grants(objects: K8sObject[]): string[] {
  return [...kinds(objects, 'Role'), ...kinds(objects, 'ClusterRole')]
    .flatMap((role) =>
      (role as RoleLike).rules.flatMap((rule) =>
        rule.apiGroups.flatMap((group) =>
          rule.resources.flatMap((resource) =>
            rule.verbs.map(
              (verb) =>
                `${role.kind === 'ClusterRole' ? '*' : role.metadata.namespace}: ${group || 'core'}/${resource} ${verb}${rule.resourceNames ? ` [${rule.resourceNames.join(',')}]` : ''}`,
            ),
          ),
        ),
      ),
    )
    .sort();
}

export function onlyWebhook(config: WebhookConfiguration): Webhook {
  expect(config.webhooks).toHaveLength(1);
  return config.webhooks[0] as Webhook;
}

// ------------------------------------------------------------ schemas embedded in the chart

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A draft-07 schema with its own `definitions`, made embeddable in another schema's definitions
 * under `name`: its definitions become `<name>.<definition>` and every `#/definitions/X` reference
 * follows. Helm 3 (gojsonschema) and Helm 4 (santhosh-tekuri/jsonschema) resolve plain `#/…`
 * references against the document root, which this keeps true; nested `$id`s would not be.
 */
export function embedSchema(schema: Record<string, Json>, name: string): Record<string, Json> {
  const rewrite = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key === '$ref' && typeof inner === 'string'
          ? inner.replace(/^#\/definitions\//, `#/definitions/${name}.`)
          : rewrite(inner),
      ]),
    );
  };
  // The embedded copy is not a document of its own: no $schema, no $id (which would rebase refs).
  const root = Object.fromEntries(
    Object.entries(schema).filter(([key]) => !['definitions', '$schema', '$id'].includes(key)),
  );
  const definitions = schema.definitions;
  const result: Record<string, Json> = { [name]: rewrite(root) };
  for (const [key, definition] of Object.entries((definitions ?? {}) as Record<string, Json>)) {
    result[`${name}.${key}`] = rewrite(definition);
  }
  return result;
}

const SOURCES = {
  policy: path.join(REPO_ROOT, 'src', 'config', 'policy-schema.json'),
  injection: path.join(REPO_ROOT, 'src', 'config', 'schema.json'),
} as const;
export const CHART_SCHEMA = path.join(CHART_DIR, 'values.schema.json');

/** The definitions values.schema.json must hold for the current src/config schemas. */
export function embeddedDefinitions(): Record<string, Json> {
  const result: Record<string, Json> = {};
  for (const [name, file] of Object.entries(SOURCES)) {
    Object.assign(
      result,
      embedSchema(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Json>, name),
    );
  }
  return result;
}

export function readChartSchema(): { definitions: Record<string, Json> } & Record<string, Json> {
  return JSON.parse(readFileSync(CHART_SCHEMA, 'utf8')) as {
    definitions: Record<string, Json>;
  } & Record<string, Json>;
}

/** Replaces the embedded definitions (the chart's own, `chart.*`, stay); run prettier after. */
export function refreshChartSchema(): void {
  const schema = readChartSchema();
  const own = Object.fromEntries(
    Object.entries(schema.definitions).filter(([key]) => key.startsWith('chart.')),
  );
  schema.definitions = { ...own, ...embeddedDefinitions() };
  writeFileSync(CHART_SCHEMA, `${JSON.stringify(schema, null, 2)}\n`);
}
