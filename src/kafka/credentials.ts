/**
 * Where a Kafka client's credentials come from on disk: a directory laid out as kafka-warden's
 * client Secret (src/tls; mounted from `<cluster>-client-tls` or a named user's Secret) and,
 * optionally, a SASL/PLAIN user with a password file. Read on each new connection, so a renewed
 * Secret is used from the next connection on. Errors name files, never their content.
 */
import type { LookupFunction } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { WardenError } from '../core/errors';
import { readMaterialDir, readPasswordFile } from '../tls/file-io';
import { contentHash } from '../tls/secret';
import { clientTlsOptions } from './tls';

export interface KafkaCredentialFiles {
  /** The client material directory (kafka.keystore.p12, kafka.truststore.p12, credentials files). */
  tlsDir?: string;
  saslUsername?: string;
  /** One line: the SASL/PLAIN password. */
  saslPasswordFile?: string;
  lookup?: LookupFunction;
}

export interface KafkaCredentials {
  tls?: ConnectionOptions;
  sasl?: { username: string; password: string };
}

/** Throws KW_USAGE for combinations that cannot work, before any file is read. */
export function checkCredentialFiles(
  files: KafkaCredentialFiles,
  flags: { tls: string; sasl: string },
): void {
  if (Boolean(files.saslUsername) !== Boolean(files.saslPasswordFile)) {
    throw new WardenError(
      'KW_USAGE',
      `${flags.sasl}-username and ${flags.sasl}-password-file go together`,
    );
  }
  if (files.saslUsername && !files.tlsDir) {
    throw new WardenError(
      'KW_USAGE',
      `SASL/PLAIN sends the password as it is: kafka-warden uses it over TLS only; give ${flags.tls} too`,
    );
  }
}

export function readKafkaCredentials(files: KafkaCredentialFiles): KafkaCredentials {
  const tls = files.tlsDir
    ? { ...decodedTls(files.tlsDir), ...(files.lookup ? { lookup: files.lookup } : {}) }
    : undefined;
  const sasl =
    files.saslUsername && files.saslPasswordFile
      ? { username: files.saslUsername, password: readPasswordFile(files.saslPasswordFile) }
      : undefined;
  return { ...(tls ? { tls } : {}), ...(sasl ? { sasl } : {}) };
}

/**
 * Opening the PKCS#12 stores is JavaScript crypto (tens of milliseconds on the event loop that
 * answers admission); files are re-read for every connection but decoded again only when they
 * changed (a renewed Secret).
 */
const decoded = new Map<string, { hash: string; tls: ConnectionOptions }>();

function decodedTls(dir: string): ConnectionOptions {
  const material = readMaterialDir(dir);
  const hash = contentHash(material);
  const cached = decoded.get(dir);
  if (cached?.hash === hash) return cached.tls;
  const tls = clientTlsOptions(material, dir);
  decoded.set(dir, { hash, tls });
  return tls;
}
