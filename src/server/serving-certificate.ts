/**
 * The webhook's serving certificate: read from files and re-read when they change (a Secret mount
 * swaps them through a symlink), without a restart and without touching connections in flight:
 * `setSecureContext` applies to new TLS handshakes only. A pair that does not load (a half-written
 * update, a key that does not match) is ignored and the previous one stays in use.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { WardenError } from '../core/errors';
import { readInputFile } from '../tls/file-io';

/**
 * TLS 1.3's suites, Node's defaults, unchanged: all of them have forward secrecy and AEAD. Listed
 * because `ciphers` sets the TLS 1.3 suites too.
 */
const TLS13_SUITES = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
];

/**
 * TLS 1.2 only with forward secrecy (ECDHE) and an AEAD cipher. Node's default list also accepts
 * RSA key exchange and CBC suites (AES128-SHA): a recorded session could then be decrypted by
 * whoever later obtains the serving key. ECDSA suites are for a user's ECDSA certificate.
 */
const TLS12_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
];

export const TLS_OPTIONS: SecureContextOptions = {
  minVersion: 'TLSv1.2',
  ciphers: [...TLS13_SUITES, ...TLS12_SUITES].join(':'),
};

export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
}

/** The pair in two files, checked: a WardenError names the files when it would not serve. */
export function readPair(certFile: string, keyFile: string): CertificatePair {
  const pair = { cert: readInputFile(certFile), key: readInputFile(keyFile) };
  try {
    // Throws when the key does not match the certificate or either does not parse.
    createSecureContext({ ...TLS_OPTIONS, ...pair });
  } catch (error) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${certFile}, ${keyFile}: not a certificate and its key (${(error as Error).message})`,
    );
  }
  return pair;
}

export interface CertificateWatcher {
  stop(): void;
}

export function watchPair(
  certFile: string,
  keyFile: string,
  onChange: (pair: CertificatePair) => void,
  onError: (error: Error) => void,
  intervalMs = 1000,
): CertificateWatcher {
  let last = `${readFileSync(certFile, 'utf8')}${readFileSync(keyFile, 'utf8')}`;
  const check = () => {
    try {
      const pair = readPair(certFile, keyFile);
      const current = `${pair.cert.toString()}${pair.key.toString()}`;
      if (current === last) return;
      last = current;
      onChange(pair);
    } catch (error) {
      onError(error as Error);
    }
  };
  // Polling stat() follows the symlink swap a Secret volume update makes; fs.watch would not.
  watchFile(certFile, { interval: intervalMs, persistent: false }, check);
  watchFile(keyFile, { interval: intervalMs, persistent: false }, check);
  return {
    stop() {
      unwatchFile(certFile, check);
      unwatchFile(keyFile, check);
    },
  };
}
