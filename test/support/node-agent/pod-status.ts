/**
 * The pod status the agent reports (pure): phase, addresses, container statuses and the
 * conditions `Initialized`, `ContainersReady` and `Ready`. `Ready` is ContainersReady AND every
 * `spec.readinessGates` condition True in the pod's current status (conditions others write,
 * e.g. kafka-warden `serve`'s roll gate): the kubelet's rule, and what the StatefulSet controller
 * waits for between pods. A condition's lastTransitionTime moves only when its status changes.
 */

export interface ContainerState {
  name: string;
  image: string;
  running: boolean;
  ready: boolean;
  restartCount: number;
  startedAt: string | null;
  /** Why it is not running: ContainerCreating, CrashLoopBackOff, CreateContainerConfigError… */
  waitingReason: string | null;
  waitingMessage: string | null;
  lastExit: { exitCode: number; signal: string | null; finishedAt: string } | null;
}

export interface Condition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface PodStatusInput {
  /** As reported to the API server (addresses.ts: 10.x for the loopback 127.x). */
  podIP: string;
  hostIP: string;
  startTime: string;
  initialized: boolean;
  containers: ContainerState[];
  readinessGates: string[];
  /** The pod's conditions as the API server has them now. */
  current: Condition[];
  now: string;
}

export function podStatus(input: PodStatusInput): Record<string, unknown> {
  const containersReady = input.initialized && input.containers.every((c) => c.ready);
  const gatesTrue = input.readinessGates.every(
    (gate) => input.current.find((c) => c.type === gate)?.status === 'True',
  );
  const missingGates = input.readinessGates.filter(
    (gate) => input.current.find((c) => c.type === gate)?.status !== 'True',
  );
  const condition = (type: string, ok: boolean, reason?: string, message?: string): Condition => {
    const previous = input.current.find((c) => c.type === type);
    const status = ok ? 'True' : 'False';
    return {
      type,
      status,
      lastTransitionTime:
        previous?.status === status && previous.lastTransitionTime
          ? previous.lastTransitionTime
          : input.now,
      ...(ok ? {} : reason ? { reason, message: message ?? '' } : {}),
    };
  };
  const notReady = input.containers.filter((c) => !c.ready).map((c) => c.name);
  return {
    phase: 'Running',
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP: input.podIP,
    podIPs: [{ ip: input.podIP }],
    startTime: input.startTime,
    conditions: [
      condition('Initialized', input.initialized, 'ContainersNotInitialized'),
      condition(
        'ContainersReady',
        containersReady,
        'ContainersNotReady',
        `containers with unready status: [${notReady.join(' ')}]`,
      ),
      condition(
        'Ready',
        containersReady && gatesTrue,
        containersReady ? 'ReadinessGatesNotReady' : 'ContainersNotReady',
        containersReady
          ? `corresponding condition of pod readiness gate "${missingGates.join('", "')}" does not exist or is not True`
          : `containers with unready status: [${notReady.join(' ')}]`,
      ),
    ],
    containerStatuses: input.containers.map(containerStatus),
  };
}

function containerStatus(c: ContainerState): Record<string, unknown> {
  const state = c.running
    ? { running: { startedAt: c.startedAt } }
    : {
        waiting: {
          reason: c.waitingReason ?? 'ContainerCreating',
          message: c.waitingMessage ?? '',
        },
      };
  return {
    name: c.name,
    image: c.image,
    imageID: '',
    ready: c.ready,
    started: c.running,
    restartCount: c.restartCount,
    state,
    lastState: c.lastExit
      ? {
          terminated: {
            exitCode: c.lastExit.exitCode,
            ...(c.lastExit.signal
              ? { signal: 0, reason: `Killed by ${c.lastExit.signal}` }
              : { reason: c.lastExit.exitCode === 0 ? 'Completed' : 'Error' }),
            finishedAt: c.lastExit.finishedAt,
          },
        }
      : {},
  };
}
