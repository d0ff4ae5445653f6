/**
 * Cluster DNS for the agent's pods, built as CoreDNS builds it from EndpointSlices: a headless
 * Service's name resolves to its endpoints' addresses, and `<hostname>.<service>` to the endpoint
 * carrying that hostname. An endpoint that is not ready is left out, unless the Service says
 * `publishNotReadyAddresses` (then the EndpointSlice controller marks it ready anyway; both are
 * checked). Addresses come back to their loopback form (addresses.ts). Names are written in every form a pod may dial: `name`, `name.ns`, `name.ns.svc`,
 * `name.ns.svc.cluster.local` (the search path of the pod's own namespace, so a short name from
 * another namespace may shadow: the tests use one namespace per release).
 *
 * The JVMs read it from one hosts file (`-Djdk.net.hosts.file`, re-read on every lookup, with the
 * JVM's own cache cut to 1 s by `-Dsun.net.inetaddr.ttl`); Node clients use `lookup`. Nothing
 * falls through to the system resolver.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LookupFunction } from 'node:net';
import { fromApiAddress } from './addresses';
import { lookupIn } from '../../e2e/kafka/harness/pod-network';
import type { Obj } from './kube';

export interface EndpointSlice {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  endpoints?: {
    addresses: string[];
    hostname?: string;
    conditions?: { ready?: boolean; serving?: boolean };
  }[];
}

/** name → addresses, from the Services and EndpointSlices of the cluster (pure). */
export function dnsRecords(
  services: Obj<{ clusterIP?: string; publishNotReadyAddresses?: boolean }>[],
  slices: EndpointSlice[],
): Map<string, string[]> {
  const records = new Map<string, string[]>();
  const add = (name: string, address: string) => {
    const addresses = records.get(name) ?? [];
    if (!addresses.includes(address)) addresses.push(address);
    records.set(name, addresses);
  };
  for (const slice of slices) {
    const serviceName = slice.metadata.labels?.['kubernetes.io/service-name'];
    const namespace = slice.metadata.namespace ?? 'default';
    const service = services.find(
      (s) => s.metadata.name === serviceName && (s.metadata.namespace ?? 'default') === namespace,
    );
    // Only headless Services resolve to pods; a ClusterIP would need a proxy nothing runs.
    if (!serviceName || !service || service.spec?.clusterIP !== 'None') continue;
    const publishNotReady = service.spec.publishNotReadyAddresses === true;
    for (const endpoint of slice.endpoints ?? []) {
      if (!publishNotReady && endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses.map(fromApiAddress)) {
        for (const name of forms(`${serviceName}`, namespace)) add(name, address);
        if (endpoint.hostname) {
          for (const name of forms(`${endpoint.hostname}.${serviceName}`, namespace)) {
            add(name, address);
          }
        }
      }
    }
  }
  return records;
}

function forms(name: string, namespace: string): string[] {
  const full = `${name}.${namespace}`;
  return [name, full, `${full}.svc`, `${full}.svc.cluster.local`];
}

export class ClusterDns {
  private records = new Map<string, string[]>();
  private text = '';

  constructor(readonly hostsFile: string) {
    this.write();
  }

  /** Replaces the table; rewrites the hosts file (atomically) only when something changed. */
  update(records: Map<string, string[]>): void {
    this.records = records;
    this.write();
  }

  resolve(name: string): string[] {
    return this.records.get(name.toLowerCase()) ?? [];
  }

  private write(): void {
    // The JVM resolves only from the hosts file once it is set: localhost and this host too.
    const lines = [`127.0.0.1 localhost`, `127.0.0.1 ${hostname()}`];
    for (const [name, addresses] of [...this.records].sort(([a], [b]) => a.localeCompare(b))) {
      for (const address of addresses) lines.push(`${address} ${name}`);
    }
    const text = `${lines.join('\n')}\n`;
    if (text === this.text) return;
    this.text = text;
    writeFileSync(`${this.hostsFile}.tmp`, text);
    renameSync(`${this.hostsFile}.tmp`, this.hostsFile);
  }

  /** For net/tls.connect: names outside the table fail with ENOTFOUND. */
  readonly lookup: LookupFunction = lookupIn((name) => this.resolve(name), 'cluster DNS');
}
