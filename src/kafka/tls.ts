/**
 * Node TLS options from a kafka-warden client keystore (the files of a `<cluster>-client-tls`
 * Secret, src/tls): the PKCS#12 stores are opened with the passwords of their credentials files and
 * handed to Node as PEM, because the stores are what the brokers trust and what the Secret holds,
 * and Node's own `pfx` reading cannot tell a truststore's trusted entries (Java's attribute) apart.
 *
 * Hostname verification stays on (Node's default `checkServerIdentity`, against the name dialled;
 * kafkajs sets `servername` to it). Nothing here logs, and errors name files, never passwords.
 */
import type { LookupFunction } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { WardenError } from '../core/errors';
import { SECRET_KEYS } from '../core/tls-wiring';
import { certificateToPem } from '../tls/certificates';
import type { MaterialFiles } from '../tls/material';
import { passwordsFromFiles } from '../tls/passwords';
import { decodeKeystore, decodeTruststore } from '../tls/pkcs12';
import forge from 'node-forge';

export interface ClientTlsOptions {
  /** Resolves broker host names; tests map pod DNS names to 127.0.0.x. Default: the system's. */
  lookup?: LookupFunction;
}

/** TLS options for kafkajs's `ssl` (spread into `tls.connect`) from the client material's files. */
export function clientTlsOptions(
  files: MaterialFiles,
  source: string,
  options: ClientTlsOptions = {},
): ConnectionOptions {
  const keystoreFile = files[SECRET_KEYS.keystore];
  const truststoreFile = files[SECRET_KEYS.truststore];
  if (!keystoreFile || !truststoreFile) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${source}: a Kafka client needs ${SECRET_KEYS.keystore} (its certificate: the brokers ` +
        `require client authentication) and ${SECRET_KEYS.truststore} (the CA that signed the ` +
        `brokers); missing: ${[!keystoreFile && SECRET_KEYS.keystore, !truststoreFile && SECRET_KEYS.truststore].filter(Boolean).join(', ')}`,
    );
  }
  const passwords = passwordsFromFiles(files, source);
  const keystore = decodeKeystore(
    keystoreFile,
    passwords.keystore,
    `${source}/${SECRET_KEYS.keystore}`,
  );
  const trusted = decodeTruststore(
    truststoreFile,
    passwords.truststore,
    `${source}/${SECRET_KEYS.truststore}`,
  );
  if (trusted.length === 0) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${source}/${SECRET_KEYS.truststore}: trusts no CA, so no broker certificate could be verified`,
    );
  }
  return {
    key: forge.pki.privateKeyToPem(keystore.key),
    cert: keystore.chain.map(certificateToPem).join(''),
    ca: trusted.map((entry) => certificateToPem(entry.certificate)),
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(options.lookup ? { lookup: options.lookup } : {}),
  };
}
