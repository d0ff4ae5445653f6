/**
 * Prometheus metrics of the admission server, in a registry of its own (tests create several apps
 * in one process; the default global registry would collide).
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface AdmissionMetrics {
  registry: Registry;
  requests: Counter<'webhook' | 'operation' | 'result'>;
  duration: Histogram<'webhook'>;
  denials: Counter<'rule' | 'mode'>;
  /** Questions to the live cluster (serve --kafka-tls-dir), by question and outcome. */
  clusterChecks: Histogram<'question' | 'outcome'>;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): AdmissionMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'kafka_warden_admission_requests_total',
      help: 'Admission requests answered, by webhook (mutate, validate), operation and result',
      labelNames: ['webhook', 'operation', 'result'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'kafka_warden_admission_duration_seconds',
      help: 'Time from request body received to response written',
      labelNames: ['webhook'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    denials: new Counter({
      name: 'kafka_warden_policy_findings_total',
      help: 'Policy findings that denied, warned or were audited, by rule and mode',
      labelNames: ['rule', 'mode'],
      registers: [registry],
    }),
    clusterChecks: new Histogram({
      name: 'kafka_warden_cluster_check_duration_seconds',
      help: 'Live Kafka checks of the validating webhook, by question (partition-health, replicas-on-brokers) and outcome (answered, failed, aborted at the rule deadline)',
      labelNames: ['question', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
