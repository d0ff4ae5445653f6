/**
 * kafka-warden's roll gate for a release under the node agent: `kafka-warden serve --roll-gate`
 * from the built bundle, as the chart runs it (docs/design.md, "The roll gate"), against the
 * agent's API server, judging the release's brokers over their TLS listener with the client
 * certificate kafka-warden issued.
 *
 * serve runs outside the agent's cluster DNS, so every name it dials is given with
 * `--kafka-resolve`: the headless Service (the default bootstrap template
 * `{serviceName}.{namespace}:9093`, every broker's address) and each broker's advertised host.
 * The agent keeps a pod's address per name, so the addresses are known before the StatefulSet
 * controller creates the pods: under `OrderedReady` broker 1 exists only once the gate made
 * broker 0 Ready, so they could not be read off the pods.
 */
import { startClusterServe, type ClusterServe } from '../../../support/cluster-serve';
import type { AgentCluster } from '../../../support/node-agent/cluster';
import { BROKER_HEADLESS, BROKER_STS, type Release } from '../../../support/node-agent/cp-release';

export const GATE_CONDITION = 'kafka-warden.io/broker-in-sync';

export function startRollGate(
  cluster: AgentCluster,
  release: Release,
  brokers: number,
  /** More of serve's flags, for what the chart runs in the same process (the Secret issuer). */
  more: string[] = [],
): Promise<ClusterServe> {
  const client = release.material?.client;
  if (!client)
    throw new Error('the roll gate reads the cluster over TLS: render with kafka-warden first');
  const ns = release.namespace;
  const resolve: string[] = [];
  for (let i = 0; i < brokers; i++) {
    const pod = `${BROKER_STS}-${i}`;
    const address = cluster.agent.podAddress(ns, pod);
    resolve.push(
      '--kafka-resolve',
      `${BROKER_HEADLESS}.${ns}=${address}`,
      '--kafka-resolve',
      `${pod}.${BROKER_HEADLESS}.${ns}=${address}`,
    );
  }
  return startClusterServe(cluster.cp, [
    '--roll-gate',
    '--roll-gate-lease',
    `${ns}/kafka-warden-roll-gate`,
    '--roll-gate-namespaces',
    ns,
    // The chart's default is 5 s; the watch on gated pods answers most changes sooner anyway.
    '--roll-gate-interval',
    '2',
    '--kafka-tls-dir',
    client.dir,
    ...resolve,
    ...more,
  ]);
}
