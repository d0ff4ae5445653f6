/**
 * Every broker kafka-warden renders for the golden cases (test/golden/cases.ts: every
 * cp-helm-charts render, and the configured cases), through both doors, passes what the pod goes
 * through before the JVM: the kubelet's volumes and env, the chart's start script under /bin/sh,
 * and the image's configure checks, with Secrets issued by src/tls. No JVM is started here; the
 * other files of this tier start some of these clusters for real.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { brokerContextOf } from '../../../src/core/broker-context';
import { resolveConfig } from '../../../src/core/config';
import type { KubeObject } from '../../../src/core/k8s-types';
import { webhookBrokerRefusal, webhookRefusals } from '../../../src/core/webhook-scope';
import { loadConfigFile } from '../../../src/config/load-config';
import { goldenCases } from '../../golden/cases';
import { planCluster } from './harness/cluster-plan';

jest.setTimeout(60_000);

const cases = goldenCases().map((c) => ({
  name: c.name,
  input: c.input,
  // Some inputs are not under ../shared (test/golden/inputs): the harness takes the text.
  renderText: readFileSync(c.input, 'utf8'),
  config: c.config ? loadConfigFile(c.config) : resolveConfig(),
}));

/**
 * What the webhook door takes whole (src/core/webhook-scope.ts): `serve` refuses the other
 * configurations at start-up, and a nodeport broker without the chart's NodePort Services per pod;
 * test/golden/webhook.golden.test.ts holds both refusals. Those brokers come from the post-renderer.
 */
function webhookTakesWhole(testCase: (typeof cases)[number]): boolean {
  if (webhookRefusals(testCase.config).length > 0) return false;
  const statefulSet = parseAllDocuments(readFileSync(testCase.input, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .find((o) => o?.kind === 'StatefulSet' && /cp-kafka$/.test(o.metadata?.name ?? ''));
  return (
    !statefulSet || webhookBrokerRefusal(brokerContextOf(statefulSet), testCase.config) === null
  );
}

describe.each(['post-renderer', 'webhook'] as const)('brokers from the %s', (source) => {
  const taken = source === 'webhook' ? cases.filter(webhookTakesWhole) : cases;
  test.each(taken.map((c) => [c.name, c] as const))(
    '%s: every broker passes the image checks, listeners bound to its pod address',
    async (_name, testCase) => {
      const plan = await planCluster({
        source,
        config: testCase.config,
        renderText: testCase.renderText,
      });
      try {
        expect(plan.brokers.length).toBeGreaterThan(0);
        for (const broker of plan.brokers) {
          const { properties } = broker;
          expect(properties['broker.id']).toBe(String(broker.ordinal));
          expect(properties['zookeeper.connect']).toBe(plan.zookeeperConnect);
          const advertised = broker.advertisedListeners.map((l) => l.name);
          expect(advertised.length).toBeGreaterThan(0);
          // Every advertised listener is bound, on this pod's address, on the advertised port
          // unless it is an external one (NodePort or load balancer maps the port).
          const bound = (properties.listeners ?? '').split(',');
          for (const listener of broker.advertisedListeners) {
            expect(bound).toContainEqual(
              expect.stringMatching(
                new RegExp(`^${listener.name}://${broker.address.replaceAll('.', '\\.')}:\\d+$`),
              ),
            );
          }
          if (testCase.config.tls.enabled) {
            expect(properties['ssl.keystore.location']).toBe(
              path.join(broker.dir, 'volumes', 'kafka-warden-tls', 'kafka.keystore.p12'),
            );
          }
        }
      } finally {
        plan.remove();
      }
    },
  );
});
