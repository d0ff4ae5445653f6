/**
 * One roll of the broker StatefulSet, started by `helm upgrade` and done when the StatefulSet
 * controller reports every replica updated and ready at the new revision. Measures its duration
 * and checks it was a real roll: every broker pod came back with a new uid after a SIGTERM.
 */
import type { ControlPlane } from '../../../support/control-plane';
import { apiRequest, eventually } from '../../../support/control-plane';
import type { NodeAgent } from '../../../support/node-agent/agent';
import { list } from '../../../support/node-agent/kube';

interface StatefulSet {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
  spec: { replicas?: number };
}

export async function brokerUids(
  cp: ControlPlane,
  namespace: string,
): Promise<Map<string, string>> {
  const pods = await list<{ metadata: { name: string; uid: string } }>(
    cp,
    `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3Dcp-kafka`,
  );
  return new Map(pods.map((p) => [p.metadata.name, p.metadata.uid]));
}

/** Resolves when the StatefulSet has rolled out `generation` or later (bounded). */
export async function rolledOut(
  cp: ControlPlane,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<void> {
  await eventually(
    `StatefulSet ${namespace}/${name} rolled out`,
    async () => {
      const res = await apiRequest<StatefulSet>(
        cp,
        'GET',
        `/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`,
      );
      const s = res.body.status;
      const replicas = res.body.spec.replicas ?? 1;
      return s &&
        (s.observedGeneration ?? 0) >= (res.body.metadata.generation ?? 0) &&
        s.currentRevision === s.updateRevision &&
        s.updatedReplicas === replicas &&
        s.readyReplicas === replicas
        ? true
        : undefined;
    },
    timeoutMs,
    1_000,
  );
}

/** The uids of `before` that received SIGTERM from the agent. */
export function terminated(agent: NodeAgent, before: Map<string, string>): string[] {
  return [...before.values()].filter((uid) =>
    agent.events.some((e) => e.uid === uid && e.what === 'SIGTERM'),
  );
}
