/**
 * The certificate authority behind every broker and client certificate of a platform: created by
 * kafka-warden (`certs init-ca`) or brought by the user as PEM files or a `kubernetes.io/tls`-style
 * Secret (`tls.crt`, `tls.key`, as `kubectl create secret tls` and cert-manager write them).
 */
import forge from 'node-forge';
import { WardenError } from '../core/errors';
import {
  certificatesFromPem,
  certificateToPem,
  checkCommonName,
  createCaCertificate,
  extensionOf,
  isCaCertificate,
  type SigningCa,
} from './certificates';
import { checkRsaBits, generateRsaKey, rsaKeyFromPem, type RsaBits } from './keys';
import { filesFromSecret } from './secret';
import {
  checkDayCount,
  DEFAULT_CA_DAYS,
  isValidAt,
  systemClock,
  validityFrom,
  type Clock,
} from './validity';

export interface CaPem {
  /** The CA certificate, followed by its issuers when the CA is an intermediate. */
  certificate: string;
  /** PKCS#8, unencrypted: whoever holds this file can issue broker certificates. */
  key: string;
}

/** File names in a CA directory, and keys of a CA Secret. */
export const CA_FILES = { certificate: 'ca.crt', key: 'ca.key' } as const;
export const CA_SECRET_KEYS = { certificate: 'tls.crt', key: 'tls.key' } as const;

/** A CA key outlives many leaves: 3072 bits (NIST SP 800-57 beyond 2030), still fast to verify. */
export const DEFAULT_CA_BITS: RsaBits = 3072;

export async function createCa(
  options: { commonName?: string; days?: number; bits?: RsaBits; clock?: Clock } = {},
): Promise<{ ca: SigningCa; pem: CaPem }> {
  const now = (options.clock ?? systemClock)();
  const days = options.days ?? DEFAULT_CA_DAYS;
  const bits = options.bits ?? DEFAULT_CA_BITS;
  checkDayCount(days);
  checkRsaBits(bits);
  if (options.commonName !== undefined) checkCommonName(options.commonName);
  const key = await generateRsaKey(bits);
  const certificate = createCaCertificate({
    // The date tells two CAs apart during a rotation, when both are trusted.
    commonName: options.commonName ?? `kafka-warden CA ${now.toISOString().slice(0, 10)}`,
    publicKey: key.publicKey,
    key: key.keyObject,
    validity: validityFrom(now, days),
  });
  const ca: SigningCa = { certificate, chain: [], key: key.keyObject };
  return { ca, pem: caToPem(ca) };
}

export function caToPem(ca: SigningCa): CaPem {
  return {
    certificate: [ca.certificate, ...ca.chain].map(certificateToPem).join(''),
    key: ca.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * A CA from PEM text, checked before anything is signed with it: a CA certificate (basic
 * constraints), allowed to sign certificates, matching the key, valid at `now`. `sources` name the
 * files (or Secret keys) in errors.
 */
export function loadCa(
  pem: CaPem,
  sources: { certificate: string; key: string },
  now: Date,
): SigningCa {
  const [certificate, ...chain] = certificatesFromPem(pem.certificate, sources.certificate);
  if (!certificate) throw new Error('certificatesFromPem returned no certificate');
  const key = rsaKeyFromPem(pem.key, sources.key);
  const fail = (problem: string): never => {
    throw new WardenError('KW_TLS_CA', `${sources.certificate}: ${problem}`);
  };
  if (!isCaCertificate(certificate)) {
    fail('not a CA certificate (basicConstraints CA:TRUE is missing)');
  }
  const usage = extensionOf<{ keyCertSign: boolean }>(certificate, 'keyUsage');
  if (usage && usage.keyCertSign !== true) fail('its keyUsage does not allow keyCertSign');
  if (!(certificate.publicKey as forge.pki.rsa.PublicKey).n.equals(key.privateKey.n)) {
    fail(`the certificate does not belong to the key in ${sources.key}`);
  }
  if (!isValidAt(certificate.validity, now)) {
    fail(
      `valid only from ${certificate.validity.notBefore.toISOString()} to ${certificate.validity.notAfter.toISOString()}; it is ${now.toISOString()}`,
    );
  }
  return { certificate, chain, key: key.keyObject };
}

/** The CA's PEM text from a Secret manifest (`data` base64 or `stringData`). */
export function caPemFromSecret(secret: unknown, source: string): CaPem {
  const files = filesFromSecret(secret, source);
  const read = (key: string): string => {
    const value = files[key];
    if (!value) {
      throw new WardenError(
        'KW_TLS_CA',
        `${source}: the Secret has no "${key}" (a CA Secret holds tls.crt and tls.key)`,
      );
    }
    return value.toString('utf8');
  };
  return { certificate: read(CA_SECRET_KEYS.certificate), key: read(CA_SECRET_KEYS.key) };
}
