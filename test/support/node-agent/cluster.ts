/**
 * The control plane with a node: etcd, kube-apiserver, kube-controller-manager (the default
 * controllers plus `endpointslice`, which cluster DNS is built from) and one node agent.
 * `stop()` ends the agent's processes first, then the control plane; both always run.
 */
import { DEFAULT_CONTROLLERS, startControlPlane, type ControlPlane } from '../control-plane';
import { startNodeAgent, type NodeAgent } from './agent';

export interface AgentCluster {
  cp: ControlPlane;
  agent: NodeAgent;
  stop(): Promise<void>;
}

export async function startAgentCluster(): Promise<AgentCluster> {
  const cp = await startControlPlane({
    controllers: [...DEFAULT_CONTROLLERS, 'endpointslice'],
    startTimeoutMs: 120_000,
  });
  let agent: NodeAgent;
  try {
    agent = await startNodeAgent(cp);
  } catch (error) {
    await cp.stop();
    throw error;
  }
  return {
    cp,
    agent,
    async stop() {
      try {
        await agent.stop();
      } finally {
        await cp.stop();
      }
    },
  };
}
