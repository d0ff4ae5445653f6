/**
 * The pod network on one machine. Each broker pod gets its own loopback address (Linux routes all
 * of 127.0.0.0/8 to `lo`), so every broker binds the very ports kafka-warden computed (9092, 9093,
 * JMX 5555, metrics 5556) without clashing, and a cluster's block `127.B.C.0/24` keeps clusters in
 * parallel Jest workers apart. Pod DNS names resolve to those addresses through one table, used
 * by the JVMs (`-Djdk.net.hosts.file`, JDK 9+) and by Node clients (a `lookup` function), so the
 * advertised host names stay the cluster's own and TLS hostname verification stays on.
 */
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import type { LookupFunction } from 'node:net';

export class PodNetwork {
  private readonly names = new Map<string, string[]>();

  constructor(
    /** The first three octets, e.g. `127.42.1`. */
    readonly block: string,
  ) {
    // The JVM resolves only from the hosts file once it is set: its own host name and localhost
    // must be there too (ZooKeeper and Kafka log them, RMI may look them up).
    this.add('localhost', '127.0.0.1');
    this.add(hostname(), '127.0.0.1');
  }

  /** Pod `ordinal`'s address: `<block>.(10 + ordinal)`. */
  podAddress(ordinal: number): string {
    return `${this.block}.${10 + ordinal}`;
  }

  add(name: string, address: string): void {
    const key = name.toLowerCase();
    const addresses = this.names.get(key) ?? [];
    if (!addresses.includes(address)) addresses.push(address);
    this.names.set(key, addresses);
  }

  resolve(name: string): string[] {
    return this.names.get(name.toLowerCase()) ?? [];
  }

  /** For `-Djdk.net.hosts.file`: one `address name` line per pair. */
  hostsFile(): string {
    const lines: string[] = [];
    for (const [name, addresses] of this.names) {
      for (const address of addresses) lines.push(`${address} ${name}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /**
   * A `lookup` for net/tls.connect. Names outside the table fail with ENOTFOUND rather than fall
   * through to the system resolver: every address a client dials must come from this table.
   */
  readonly lookup: LookupFunction = lookupIn((name) => this.resolve(name), 'the pod network');
}

let nextBlock = 0;

/**
 * A free `127.B.C` block: B from the process id (one per Jest worker), C counting up, checked by
 * binding the broker ports on its first address.
 */
export async function allocatePodNetwork(): Promise<PodNetwork> {
  const second = 20 + (process.pid % 200);
  for (let attempt = 0; attempt < 50; attempt++) {
    const third = (nextBlock++ % 250) + 1;
    const block = `127.${second}.${third}`;
    if (await portsFree(`${block}.10`, [9092, 9093, 5555, 5556])) return new PodNetwork(block);
  }
  throw new Error(`no free loopback block 127.${second}.x.0/24 for a Kafka cluster`);
}

async function portsFree(address: string, ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, address, () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

/** A free TCP port on `address`, from the kernel (ZooKeeper needs a number up front). */
export function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const bound = server.address();
      server.close(() =>
        typeof bound === 'object' && bound !== null
          ? resolve(bound.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A `lookup` for net/tls.connect over a name table: a name outside it fails with ENOTFOUND, naming
 * the table (`where`) so a failed connection says which harness's names were searched.
 */
export function lookupIn(resolve: (name: string) => string[], where: string): LookupFunction {
  return (name, options, callback) => {
    const addresses = resolve(name);
    if (addresses.length === 0) {
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${name} (not in ${where})`), {
        code: 'ENOTFOUND',
        hostname: name,
      });
      callback(error, '', 4);
      return;
    }
    if (options.all) {
      // The `all` overload of the callback; LookupFunction types only the single-address form.
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(
        null,
        addresses.map((address) => ({ address, family: 4 })),
      );
    } else {
      callback(null, addresses[0] as string, 4);
    }
  };
}
