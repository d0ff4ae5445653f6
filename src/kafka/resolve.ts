/**
 * Fixed name → address mappings for the Kafka client, like curl's --resolve: for a webhook that
 * runs where cluster DNS does not (outside the cluster, registered by URL) and for tests on one
 * machine. TLS is unaffected: the client still dials, and verifies the certificate against, the
 * name; only the address it connects to comes from here. Names not listed resolve as usual.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { WardenError } from '../core/errors';

/** `NAME=ADDRESS` specs (a name given twice gets both addresses) → a lookup for node:net/tls. */
export function staticLookup(specs: readonly string[], flag: string): LookupFunction | undefined {
  if (specs.length === 0) return undefined;
  const table = new Map<string, LookupAddress[]>();
  for (const spec of specs) {
    const match = /^([^=\s]+)=([^=\s]+)$/.exec(spec);
    const address = match?.[2] ?? '';
    const family = isIP(address);
    if (!match || family === 0) {
      throw new WardenError(
        'KW_USAGE',
        `${flag} ${JSON.stringify(spec)}: expected NAME=ADDRESS with an IP address, e.g. ` +
          `kafka-0.kafka-headless.kafka=10.0.0.12`,
      );
    }
    const name = (match[1] as string).toLowerCase();
    table.set(name, [...(table.get(name) ?? []), { address, family }]);
  }
  // node:net calls lookup(hostname, options, callback); `all` asks for every address.
  const lookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const fixed = table.get(hostname.toLowerCase());
    if (!fixed) {
      // dns.lookup's overloads cannot be named from one union-typed call; its contract is this one.
      (dnsLookup as unknown as typeof lookup)(hostname, options, callback);
      return;
    }
    const first = fixed[0] as LookupAddress;
    if (options.all) callback(null, fixed);
    else callback(null, first.address, first.family);
  };
  return lookup;
}
