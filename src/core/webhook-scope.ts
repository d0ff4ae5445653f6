/**
 * What the mutating webhook can do whole. It sees one object at a time and is registered for Pods
 * (and StatefulSets), never Services: a configuration whose post-rendered result needs other objects
 * changed or added would come out half done through the webhook (brokers switched, the Services
 * their clients use left behind). Such configurations are refused when `serve` starts, naming the
 * setting; the one case that depends on the chart's values (NodePort Services) is refused per pod.
 */
import type { WardenConfig } from './config';
import type { BrokerContext } from './listeners';

export interface WebhookRefusal {
  /** The configuration key, as docs/configuration.md names it. */
  setting: string;
  value: string;
  reason: string;
}

/** Settings whose result the webhook cannot produce whole; empty when it can serve the configuration. */
export function webhookRefusals(config: WardenConfig): WebhookRefusal[] {
  const refusals: WebhookRefusal[] = [];
  if (config.tls.enabled && !config.tls.keepPlaintext) {
    refusals.push({
      setting: 'tls.keepPlaintext',
      value: 'false',
      reason: `the Kafka Services must lose port ${config.listeners.plaintextPort} and gain ${config.tls.port}, and the chart's other components (Deployments) switch to TLS with them; the webhook sees neither the Services nor the release`,
    });
  }
  const mode = config.listeners.external.mode;
  if (mode === 'loadbalancer' || mode === 'hostname') {
    refusals.push({
      setting: 'listeners.external.mode',
      value: mode,
      reason: `each broker needs its own ${mode === 'loadbalancer' ? 'LoadBalancer' : 'ClusterIP'} Service for its advertised host; the webhook cannot create Services`,
    });
  }
  return refusals;
}

/** The start-up message: every refused setting, and what to do. */
export function describeWebhookRefusals(refusals: readonly WebhookRefusal[]): string {
  const lines = refusals.map((r) => `  ${r.setting}: ${r.value}: ${r.reason}`);
  return `the configuration needs changes the mutating webhook cannot make, so it would inject only half of them:\n${lines.join('\n')}\nRun the Helm post-renderer (kafka-warden render) for these settings, or remove them from the webhook's configuration`;
}

/**
 * Per pod: `nodeport` mode advertises one NodePort per broker. The chart renders those Services
 * when its `nodeport.enabled` is on (its `nodeport-N` container ports say so); otherwise only the
 * post-renderer adds them, and a broker the webhook injected would advertise ports nothing routes to.
 */
export function webhookBrokerRefusal(broker: BrokerContext, config: WardenConfig): string | null {
  if (config.listeners.external.mode !== 'nodeport' || broker.chartFirstListenerPort !== null) {
    return null;
  }
  return "listeners.external.mode nodeport needs one NodePort Service per broker; this chart release renders none (cp-kafka.nodeport.enabled is off) and the webhook cannot create Services: turn on the chart's cp-kafka.nodeport.enabled, or run the Helm post-renderer";
}
