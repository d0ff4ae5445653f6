/**
 * Silent no-ops made visible. Where the transformation leaves something as it was although the user
 * probably expected otherwise, it says so as data, naming the setting that fixes it; each door
 * shows the list its own way (the post-renderer on stderr, the webhook as admission warnings,
 * `check` in its report). Pure, like the rest of src/core.
 */
import type { WardenConfig } from './config';
import { detectWorkload, imageIs } from './detect';
import type { Container, PodTemplate } from './k8s-types';
import type { BrokerContext } from './listeners';
import { getEnv, hasEnv } from './pod-edit';

export interface Notice {
  /** The configuration key (or chart value) that changes the outcome. */
  setting: string;
  /** One sentence naming the workload, what was left alone and why, and what to set. */
  message: string;
}

/** REST Proxy of cp-helm-charts 0.5.0 finds brokers through ZooKeeper, never a bootstrap list. */
export const REST_PROXY_ZOOKEEPER_ENV = 'KAFKA_REST_ZOOKEEPER_CONNECT';

export interface NoticeContext {
  where: string;
  broker?: BrokerContext;
}

export function podNotices(
  template: PodTemplate,
  ctx: NoticeContext,
  config: WardenConfig,
): Notice[] {
  const spec = template.spec;
  if (!spec || !Array.isArray(spec.containers)) return [];
  const detected = detectWorkload(template.metadata, spec, config);
  if (detected?.role === 'kafka') return ctx.broker ? brokerNotices(ctx.broker, ctx, config) : [];
  if (detected) return [];
  return [
    ...undetectedImages(spec.containers, ctx.where, config),
    ...unswitchableClients(spec.containers, ctx.where, config),
  ];
}

function brokerNotices(broker: BrokerContext, ctx: NoticeContext, config: WardenConfig): Notice[] {
  if (config.listeners.external.mode !== 'none' || broker.chartFirstListenerPort === null)
    return [];
  return [
    {
      setting: 'listeners.external.mode',
      message: `${ctx.where}: the chart's external access is on (cp-kafka.nodeport.enabled, NodePorts from ${broker.chartFirstListenerPort}) but listeners.external.mode none drops the EXTERNAL listener; set listeners.external.mode: nodeport to keep it`,
    },
  ];
}

/**
 * A container running a broker or ZooKeeper image in a pod detection did not take (labels and
 * container name both differ from the configuration): nothing was injected into it.
 */
function undetectedImages(containers: Container[], where: string, config: WardenConfig): Notice[] {
  const notices: Notice[] = [];
  for (const role of ['kafka', 'zookeeper'] as const) {
    const matcher = config.detection[role];
    const container = containers.find((c) => matcher.images.some((i) => imageIs(c.image, i)));
    if (!container) continue;
    const labels = Object.entries(matcher.labels)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    notices.push({
      setting: `detection.${role}`,
      message: `${where}: container ${container.name} runs ${container.image ?? ''} but is not detected as ${role === 'kafka' ? 'a Kafka broker' : 'ZooKeeper'} (pod labels lack {${labels}}, container name not in detection.${role}.containerNames), so nothing was injected; add its name to detection.${role}.containerNames or its labels to detection.${role}.labels`,
    });
  }
  return notices;
}

function unswitchableClients(
  containers: Container[],
  where: string,
  config: WardenConfig,
): Notice[] {
  if (!config.tls.enabled || config.tls.keepPlaintext) return [];
  return containers
    .filter(
      (c) => hasEnv(c, REST_PROXY_ZOOKEEPER_ENV) && !hasEnv(c, 'KAFKA_REST_BOOTSTRAP_SERVERS'),
    )
    .map((c) => ({
      setting: 'tls.keepPlaintext',
      message: `${where}: container ${c.name} (REST Proxy) finds the brokers through ZooKeeper (${REST_PROXY_ZOOKEEPER_ENV}=${getEnv(c, REST_PROXY_ZOOKEEPER_ENV) ?? ''}), so it cannot be switched to TLS and loses the brokers with tls.keepPlaintext: false; keep tls.keepPlaintext: true, or give it KAFKA_REST_BOOTSTRAP_SERVERS (the chart's cp-kafka-rest.customEnv or a newer chart)`,
    }));
}
