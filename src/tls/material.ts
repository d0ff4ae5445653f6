/**
 * Broker and client TLS material: the six files of a `<cluster>-broker-tls` / `<cluster>-client-tls`
 * Secret (src/core/tls-wiring.ts SECRET_KEYS), issued fresh or rotated from existing material.
 *
 * Event loop: the key is generated on the thread pool and signatures are native (keys.ts); what
 * remains on the main thread is forge's PKCS#12 encoding, a few tens of milliseconds, split into
 * slices with a turn of the event loop between them so a webhook in the same process keeps
 * answering admission requests.
 */
import type forge from 'node-forge';
import { SECRET_KEYS } from '../core/tls-wiring';
import { WardenError } from '../core/errors';
import {
  checkCommonName,
  commonNameOf,
  extendedKeyUsageOf,
  fingerprint,
  issueLeafCertificate,
  KIND_EKU,
  normaliseFingerprint,
  organizationalUnitOf,
  subjectAltNamesOf,
  type MaterialKind,
  type SigningCa,
  type SubjectAltNames,
} from './certificates';
import { checkRsaBits, generateRsaKey, RSA_BITS, type RsaBits } from './keys';
import { newStorePasswords, passwordFiles, passwordsFromFiles } from './passwords';
import { encodeKeystoreOffThread } from './encode-keystore-off-thread';
import { decodeKeystore, decodeTruststore, encodeTruststore } from './pkcs12';
import { splitSubjectAltNames } from './sans';
import type { MaterialSummary } from './secret';
import {
  checkDayCount,
  DEFAULT_LEAF_DAYS,
  isValidAt,
  systemClock,
  validityFrom,
  type Clock,
} from './validity';

export type MaterialFiles = Record<string, Buffer>;

export interface IssuedMaterial {
  /** Keyed by SECRET_KEYS values: the Secret's keys and the file names under the mount. */
  files: MaterialFiles;
  summary: MaterialSummary;
}

export interface IssueOptions {
  ca: SigningCa;
  /** The subject CN; Kafka's default principal for an mTLS peer is `CN=<this>`. */
  commonName: string;
  /** A subject OU: the principal becomes `CN=<commonName>,OU=<this>`. */
  organizationalUnit?: string;
  /** DNS names and IP addresses; strings are sorted into the two kinds and checked. */
  subjectAltNames?: SubjectAltNames | string[];
  days?: number;
  bits?: RsaBits;
  clock?: Clock;
  /** CAs to trust besides the signing one: the other side of a CA rotation. */
  alsoTrust?: forge.pki.Certificate[];
}

/** Leaf keys: 2048 bits, renewed yearly; every handshake pays for the key size. */
export const DEFAULT_LEAF_BITS: RsaBits = 2048;

export function issueBrokerMaterial(options: IssueOptions): Promise<IssuedMaterial> {
  return issueMaterial('broker', options);
}

export function issueClientMaterial(options: IssueOptions): Promise<IssuedMaterial> {
  return issueMaterial('client', options);
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function issueMaterial(
  kind: MaterialKind,
  options: IssueOptions,
): Promise<IssuedMaterial> {
  const now = (options.clock ?? systemClock)();
  const days = options.days ?? DEFAULT_LEAF_DAYS;
  const bits = options.bits ?? DEFAULT_LEAF_BITS;
  checkDayCount(days);
  checkRsaBits(bits);
  checkCommonName(options.commonName);
  const sans = Array.isArray(options.subjectAltNames)
    ? splitSubjectAltNames(options.subjectAltNames, 'subject alternative names')
    : (options.subjectAltNames ?? { dns: [], ip: [] });
  if (kind === 'broker' && sans.dns.length + sans.ip.length === 0) {
    throw new WardenError('KW_TLS_INPUT', 'a broker certificate needs at least one DNS name');
  }
  const { ca } = options;
  if (!isValidAt(ca.certificate.validity, now)) {
    throw new WardenError(
      'KW_TLS_CA',
      `the CA "${commonNameOf(ca.certificate) ?? '?'}" is not valid now (${ca.certificate.validity.notBefore.toISOString()} to ${ca.certificate.validity.notAfter.toISOString()})`,
    );
  }

  const key = await generateRsaKey(bits);
  const leaf = issueLeafCertificate({
    ca,
    commonName: options.commonName,
    ...(options.organizationalUnit === undefined
      ? {}
      : { organizationalUnit: options.organizationalUnit }),
    subjectAltNames: sans,
    extendedKeyUsage: KIND_EKU[kind],
    publicKey: key.publicKey,
    validity: validityFrom(now, days, ca.certificate.validity.notAfter),
  });
  const passwords = newStorePasswords();
  await yieldToEventLoop();
  const keystore = await encodeKeystoreOffThread({
    key: key.privateKey,
    chain: [leaf, ca.certificate, ...ca.chain],
    password: passwords.keystore,
  });
  await yieldToEventLoop();
  const trusted = uniqueCertificates([ca.certificate, ...(options.alsoTrust ?? [])]);
  const truststore = encodeTruststore({ certificates: trusted, password: passwords.truststore });

  return {
    files: {
      [SECRET_KEYS.keystore]: keystore,
      [SECRET_KEYS.truststore]: truststore,
      ...passwordFiles(passwords),
    },
    summary: {
      kind,
      commonName: options.commonName,
      dnsNames: sans.dns,
      ipAddresses: sans.ip,
      notBefore: leaf.validity.notBefore,
      notAfter: leaf.validity.notAfter,
      issuerFingerprint: fingerprint(ca.certificate),
      trustedFingerprints: trusted.map(fingerprint),
    },
  };
}

function uniqueCertificates(certs: forge.pki.Certificate[]): forge.pki.Certificate[] {
  const seen = new Set<string>();
  return certs.filter((cert) => {
    const print = fingerprint(cert);
    if (seen.has(print)) return false;
    seen.add(print);
    return true;
  });
}

export interface RotateOptions {
  /** The material in place: its six files, as read from a directory or a Secret. */
  current: MaterialFiles;
  /** Names the directory or Secret in errors. */
  source: string;
  /** Signs the new leaf: the same CA (renewal) or the next one (CA rotation). */
  ca: SigningCa;
  /** More CAs to trust, e.g. the next CA before anything presents a certificate signed by it. */
  alsoTrust?: forge.pki.Certificate[];
  /** SHA-256 fingerprints of CAs to stop trusting: the end of a rotation. */
  dropTrusted?: string[];
  days?: number;
  /** Default: the current key's size. */
  bits?: RsaBits;
  clock?: Clock;
}

/**
 * New key, same subject and names, signed by `ca`; the truststore keeps every CA it trusted (so
 * peers still on the old material stay verifiable) plus `ca` and `alsoTrust`, minus `dropTrusted`.
 */
export async function rotateMaterial(options: RotateOptions): Promise<IssuedMaterial> {
  const { current, source } = options;
  const passwords = passwordsFromFiles(current, source);
  const keystore = decodeKeystore(
    required(current, SECRET_KEYS.keystore, source),
    passwords.keystore,
    `${source}: ${SECRET_KEYS.keystore}`,
  );
  const trusted = decodeTruststore(
    required(current, SECRET_KEYS.truststore, source),
    passwords.truststore,
    `${source}: ${SECRET_KEYS.truststore}`,
  ).map((entry) => entry.certificate);
  const leaf = keystore.chain[0] as forge.pki.Certificate;
  const commonName = commonNameOf(leaf);
  if (commonName === null) {
    throw new WardenError('KW_TLS_INPUT', `${source}: the certificate has no CN to keep`);
  }

  const drop = new Set((options.dropTrusted ?? []).map(normaliseFingerprint));
  const known = new Set([...trusted, ...(options.alsoTrust ?? [])].map(fingerprint));
  const unknown = [...drop].filter((print) => !known.has(print));
  if (unknown.length > 0) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${source}: no trusted CA has fingerprint ${unknown.join(', ')}`,
    );
  }
  if (drop.has(fingerprint(options.ca.certificate))) {
    throw new WardenError(
      'KW_TLS_CA',
      'the signing CA cannot be dropped from the truststore: peers signed by it would be refused',
    );
  }
  const kind: MaterialKind = extendedKeyUsageOf(leaf).includes('serverAuth') ? 'broker' : 'client';
  const organizationalUnit = organizationalUnitOf(leaf);
  const bits = options.bits ?? (keystore.key.n.bitLength() as RsaBits);
  return issueMaterial(kind, {
    ca: options.ca,
    commonName,
    ...(organizationalUnit === null ? {} : { organizationalUnit }),
    subjectAltNames: subjectAltNamesOf(leaf),
    ...(options.days === undefined ? {} : { days: options.days }),
    bits: RSA_BITS.includes(bits) ? bits : DEFAULT_LEAF_BITS,
    ...(options.clock ? { clock: options.clock } : {}),
    alsoTrust: [...trusted, ...(options.alsoTrust ?? [])].filter(
      (cert) => !drop.has(fingerprint(cert)),
    ),
  });
}

function required(files: MaterialFiles, name: string, source: string): Buffer {
  const file = files[name];
  if (!file) throw new WardenError('KW_TLS_INPUT', `${source}: ${name} is missing`);
  return file;
}
