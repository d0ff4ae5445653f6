/**
 * Which rules of a broker's JMX exporter configuration match that broker's MBeans.
 *
 * The configuration is the file the broker's sidecar reads (what kafka-warden's init container
 * wrote), with one label added to each rule naming the rule. A second exporter from the same jar
 * serves it against the same JMX port. A label changes no match, so every sample of the second
 * exporter is one the sidecar serves, attributed to the rule that made it; the exporter's own
 * object-name filter, bean formatting (key order), Java regexes and first-match order decide, not
 * a re-implementation of them here. A rule whose beans never pass the filter, or which an earlier
 * rule shadows, yields nothing, as it does for the sidecar.
 *
 * For a rule that yields nothing, the same exporter with a catch-all rule and no filter lists the
 * bean attributes of the rule's domain carrying the rule's literal keys (`type=RequestMetrics`), so
 * the failure shows the names a pattern must allow.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { withAdmin } from './client-ops';
import type { KafkaCluster, RunningBroker } from './cluster';
import { jmxExporterJar } from './install';
import { freePort } from './pod-network';
import { delay, startProcess, type ManagedProcess } from './processes';
import { SMALL_HEAP, words } from './substitutions';

/** Not a label any rule of ours sets; lower case, since the configuration lower-cases label names. */
const RULE_LABEL = 'kw_rule';
const BEAN_LABEL = 'kw_bean';

export interface ExporterRule {
  index: number;
  pattern: string;
  name: string;
}

export interface UnmatchedRule extends ExporterRule {
  /** Bean attributes (`domain<keys><>attribute`) of the rule's domain with its literal keys. */
  candidates: string[];
}

export interface BrokerRuleMatches {
  podName: string;
  /** Samples per rule, in the configuration's order. */
  samples: { rule: ExporterRule; count: number }[];
  unmatched: UnmatchedRule[];
}

interface ExporterConfig {
  rules: Record<string, unknown>[];
  [key: string]: unknown;
}

/**
 * Scrapes until every rule yielded a sample or `timeoutMs` passed: some beans appear only with
 * traffic (RequestsPerSec per API version) or once a replica exists (Partition gauges).
 */
export async function exporterRuleMatches(
  cluster: KafkaCluster,
  broker: RunningBroker,
  options: { timeoutMs?: number } = {},
): Promise<BrokerRuleMatches> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!broker.exporter) throw new Error(`${broker.podName} has no JMX exporter sidecar`);
  const config = parseConfig(readFileSync(broker.exporter.configFile, 'utf8'));
  const rules = config.rules.map((rule, index) => ruleOf(rule, index));
  const labelled: ExporterConfig = {
    ...config,
    rules: config.rules.map((rule, index) => ({
      ...rule,
      labels: { ...labelsOf(rule), [RULE_LABEL]: String(index) },
    })),
  };

  const counts = await withExporter(cluster, broker, 'rules', labelled, async (scrape) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const perRule = countPerRule(await scrape(), rules.length);
      if (perRule.every((n) => n > 0) || Date.now() > deadline) return perRule;
      await delay(1_000);
    }
  });

  const missing = rules.filter((rule) => counts[rule.index] === 0);
  const unmatched: UnmatchedRule[] = [];
  if (missing.length > 0) {
    const everything: ExporterConfig = {
      ...withoutFilters(config),
      rules: [{ pattern: '^(.*)$', name: 'kw_bean', value: 1, labels: { [BEAN_LABEL]: '$1' } }],
    };
    const beans = beanAttributes(
      await withExporter(cluster, broker, 'all-beans', everything, (scrape) => scrape()),
    );
    for (const rule of missing) unmatched.push({ ...rule, candidates: candidatesFor(rule, beans) });
  }
  return {
    podName: broker.podName,
    samples: rules.map((rule) => ({ rule, count: counts[rule.index] ?? 0 })),
    unmatched,
  };
}

async function withExporter<T>(
  cluster: KafkaCluster,
  broker: RunningBroker,
  label: string,
  config: ExporterConfig,
  work: (scrape: () => Promise<string>) => Promise<T>,
): Promise<T> {
  const configFile = path.join(cluster.dir, `exporter-${label}-${broker.ordinal}.yaml`);
  writeFileSync(configFile, dump(config, { lineWidth: -1 }));
  const bind = `${broker.address}:${await freePort(broker.address)}`;
  const exporter = startProcess({
    name: `exporter ${broker.ordinal} (${label})`,
    command: 'java',
    args: [...words(SMALL_HEAP), '-jar', jmxExporterJar(), bind, configFile],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    logFile: path.join(broker.dir, `exporter-${label}.log`),
  });
  try {
    return await work(() => scrapeOnce(`http://${bind}/metrics`, exporter));
  } finally {
    await exporter.stop(0);
  }
}

/** The first answer within 60 s (the JVM starting, then a scrape of every bean over RMI). */
async function scrapeOnce(url: string, exporter: ManagedProcess): Promise<string> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    if (!exporter.running()) {
      throw new Error(`${exporter.name} exited; ${exporter.logFile}:\n${exporter.tail()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(20_000) });
      if (response.ok) return await response.text();
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await delay(500);
  }
  throw new Error(
    `${url} did not answer within 60 s (${last}); ${exporter.logFile}:\n${exporter.tail()}`,
  );
}

function parseConfig(text: string): ExporterConfig {
  const parsed: unknown = load(text);
  if (!isRecord(parsed) || !Array.isArray(parsed.rules) || !parsed.rules.every(isRecord)) {
    throw new Error(`not a JMX exporter configuration with rules:\n${text}`);
  }
  return { ...parsed, rules: parsed.rules };
}

function ruleOf(rule: Record<string, unknown>, index: number): ExporterRule {
  const { pattern, name } = rule;
  if (typeof pattern !== 'string' || typeof name !== 'string') {
    throw new Error(`rule ${index} has no pattern and name: ${JSON.stringify(rule)}`);
  }
  return { index, pattern, name };
}

function labelsOf(rule: Record<string, unknown>): Record<string, unknown> {
  return isRecord(rule.labels) ? rule.labels : {};
}

function withoutFilters(config: ExporterConfig): ExporterConfig {
  const rest: ExporterConfig = { ...config };
  for (const key of [
    'whitelistObjectNames',
    'blacklistObjectNames',
    'includeObjectNames',
    'excludeObjectNames',
  ]) {
    delete rest[key];
  }
  return rest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Prometheus text format: the value of `label` on each sample line that has it. */
function labelValues(body: string, label: string): string[] {
  const pattern = new RegExp(`[{,]${label}="((?:[^"\\\\]|\\\\.)*)"`);
  const values: string[] = [];
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) continue;
    const found = pattern.exec(line)?.[1];
    if (found !== undefined)
      values.push(found.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
  }
  return values;
}

function countPerRule(body: string, rules: number): number[] {
  const counts = new Array<number>(rules).fill(0);
  for (const value of labelValues(body, RULE_LABEL)) {
    const index = Number(value);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** `domain<keys><>attribute` of every sample of the catch-all rule (its value dropped). */
function beanAttributes(body: string): string[] {
  return labelValues(body, BEAN_LABEL).map((text) => {
    const attribute = text.lastIndexOf('><');
    const value = text.indexOf(': ', attribute);
    return value < 0 ? text : text.slice(0, value);
  });
}

/** Up to 8 distinct beans of the rule's domain carrying every `key=word` the pattern fixes. */
function candidatesFor(rule: ExporterRule, beans: string[]): string[] {
  const domain = `${rule.pattern.slice(0, rule.pattern.indexOf('<'))}<`;
  const keys = [...rule.pattern.matchAll(/\b\w+=\w+(?=[,>])/g)].map((m) => m[0]);
  const chosen = beans.filter((b) => b.startsWith(domain) && keys.every((k) => b.includes(k)));
  return [...new Set(chosen.map((b) => b.slice(0, b.lastIndexOf('><') + 1)))].sort().slice(0, 8);
}

/**
 * The whole check, as both mTLS files run it on their cluster: a topic on every broker (partition
 * gauges exist only where a replica is), every rule matched on every broker, and the rule that
 * once matched nothing (RequestsPerSec's beans carry the API version as a key) served by the real
 * sidecar.
 */
export async function expectEveryExporterRuleToMatch(cluster: KafkaCluster): Promise<void> {
  await withAdmin(cluster.kafka(), (admin) =>
    admin.createTopics({
      topics: [{ topic: 'exporter-rules', numPartitions: 1, replicationFactor: 3 }],
      waitForLeaders: true,
    }),
  );
  const matches = await Promise.all(
    cluster.brokers.map((broker) => exporterRuleMatches(cluster, broker)),
  );
  for (const { podName, samples } of matches) {
    console.info(
      `${podName}: samples per rule`,
      samples.map((s) => `${s.rule.name} ${s.count}`),
    );
  }
  expect(matches.map((m) => ({ broker: m.podName, unmatched: m.unmatched }))).toEqual(
    matches.map((m) => ({ broker: m.podName, unmatched: [] })),
  );
  for (const broker of cluster.brokers) {
    const body = await (await fetch(broker.exporter?.metricsUrl ?? '')).text();
    expect(body).toMatch(
      /^cp_kafka_network_requestmetrics_requestspersec_\w+\{version="\d+",?\} /m,
    );
  }
}
