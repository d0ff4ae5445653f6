/**
 * Addresses of the agent's node and pods, on 127.0.0.0/8 (Linux routes all of it to `lo`): one
 * `127.B.0.0/16` block per agent, B from 230 up, away from the Kafka tier's blocks (127.20–219.x,
 * test/e2e/kafka/harness/pod-network.ts), locked by holding the kubelet port 10250 on its node address for the agent's life. The node is
 * `127.B.0.1`; each pod gets `127.B.C.D` from a counter, kept per pod name, so a pod the StatefulSet
 * controller re-creates comes back at the same address (as a stable DNS answer would let it).
 *
 * The API server refuses loopback addresses in EndpointSlices ("may not be in the loopback
 * range"), so the addresses the agent reports (pod status, Node) are the same with 10 for 127:
 * `10.B.C.D` in the API is `127.B.C.D` on this machine. Processes see the loopback form (their
 * `status.podIP` env, their bind address); cluster DNS translates back (dns.ts). Nothing ever
 * dials a 10.x address.
 */
import { createServer, type Server } from 'node:net';

export class PodAddresses {
  private readonly byName = new Map<string, string>();
  private next = 10;

  constructor(
    readonly block: string,
    /** Held for the agent's life: the block's lock against another agent on this machine. */
    private readonly lock: Server,
  ) {}

  release(): Promise<void> {
    return new Promise((resolve) => this.lock.close(() => resolve()));
  }

  get nodeAddress(): string {
    return `${this.block}.0.1`;
  }

  /** The address of pod `namespace/name`, the same every time the name comes back. */
  forPod(namespace: string, name: string): string {
    const key = `${namespace}/${name}`;
    let address = this.byName.get(key);
    if (!address) {
      const n = this.next++;
      if (n >= 250 * 250) throw new Error(`no address left in ${this.block}.0.0/16`);
      address = `${this.block}.${1 + Math.floor(n / 250)}.${(n % 250) + 1}`;
      this.byName.set(key, address);
    }
    return address;
  }
}

/** The address the API server is told for a loopback address, and back. */
export function toApiAddress(loopback: string): string {
  return loopback.replace(/^127\./, '10.');
}

export function fromApiAddress(reported: string): string {
  return reported.replace(/^10\./, '127.');
}

export async function allocateAddresses(): Promise<PodAddresses> {
  const start = 230 + (process.pid % 20);
  for (let i = 0; i < 20; i++) {
    const block = `127.${230 + ((start - 230 + i) % 20)}`;
    const lock = await listen(`${block}.0.1`);
    if (lock) return new PodAddresses(block, lock);
  }
  throw new Error('no free 127.230-249.0.0/16 block for a node agent');
}

/** The kubelet's port on the block's node address, held open; null when another agent has it. */
function listen(address: string): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', () => resolve(null));
    server.listen(10250, address, () => {
      server.unref();
      resolve(server);
    });
  });
}
