/**
 * X.509 certificates: a self-signed CA and the leaf certificates it signs, and what kafka-warden
 * reads back from any certificate. Structure by node-forge, signatures by Node (keys.ts).
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { WardenError } from '../core/errors';
import { nativeSigner } from './keys';
import type { Validity } from './validity';

export type MaterialKind = 'broker' | 'client';
export type ExtendedKeyUsage = 'serverAuth' | 'clientAuth';

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
}

/** A CA able to sign: its certificate, the chain above it (empty for a root) and its key. */
export interface SigningCa {
  certificate: forge.pki.Certificate;
  /** Issuers of `certificate` up to the root, as brought by the user; empty for kafka-warden's CA. */
  chain: forge.pki.Certificate[];
  key: KeyObject;
}

/** X.520 ub-common-name: longer CNs are rejected by strict parsers. */
export const MAX_COMMON_NAME = 64;

/**
 * EKUs per kind. Brokers are TLS servers and, towards each other, clients. Clients only
 * authenticate; giving them serverAuth would let a client certificate pose as a broker.
 */
export const KIND_EKU: Record<MaterialKind, ExtendedKeyUsage[]> = {
  broker: ['serverAuth', 'clientAuth'],
  client: ['clientAuth'],
};

export function createCaCertificate(options: {
  commonName: string;
  publicKey: forge.pki.rsa.PublicKey;
  key: KeyObject;
  validity: Validity;
}): forge.pki.Certificate {
  const cert = baseCertificate(options.commonName, options.publicKey, options.validity);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    // pathLen 0: this CA signs leaves only, never another CA.
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(nativeSigner(options.key), forge.md.sha256.create());
  return cert;
}

export function issueLeafCertificate(options: {
  ca: SigningCa;
  commonName: string;
  /**
   * Subject OU, placed before the CN so the RFC 2253 name (Kafka's principal) reads `CN=…,OU=…`.
   * The Secret issuer puts a requesting namespace here, so no requested certificate can carry a
   * broker's principal (`CN=<sts>.<namespace>`, no OU) or another namespace's.
   */
  organizationalUnit?: string;
  subjectAltNames: SubjectAltNames;
  extendedKeyUsage: ExtendedKeyUsage[];
  publicKey: forge.pki.rsa.PublicKey;
  validity: Validity;
}): forge.pki.Certificate {
  const cert = baseCertificate(
    options.commonName,
    options.publicKey,
    options.validity,
    options.organizationalUnit,
  );
  cert.setIssuer(options.ca.certificate.subject.attributes);
  const altNames = [
    ...options.subjectAltNames.dns.map((value) => ({ type: 2, value })),
    ...options.subjectAltNames.ip.map((ip) => ({ type: 7, ip })),
  ];
  const eku = Object.fromEntries(options.extendedKeyUsage.map((usage) => [usage, true]));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', ...eku },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
    // Must equal the CA's subjectKeyIdentifier: path builders match on it.
    { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifierOf(options.ca.certificate) },
  ]);
  cert.sign(nativeSigner(options.ca.key), forge.md.sha256.create());
  return cert;
}

/**
 * A subject attribute (CN, OU) as kafka-warden can write it: 1 to 64 characters of printable ASCII.
 * forge encodes the attributes as PrintableString from a byte string, so a character beyond ASCII
 * corrupts the certificate; a control character (a newline) would end up in Kafka's principal name,
 * its ACLs and every log line that shows it. `source` names where the value came from (a flag).
 */
export function checkCommonName(commonName: string, source = 'the common name'): void {
  checkPrintable(commonName, source, 'a certificate subject');
  if (commonName.length === 0 || commonName.length > MAX_COMMON_NAME) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${source}: ${quoted(commonName)} has ${commonName.length} characters; a common name has 1 to ${MAX_COMMON_NAME} (X.520 ub-common-name)`,
    );
  }
}

/** Refuses anything but printable ASCII (U+0020 to U+007E), naming the first other character. */
export function checkPrintable(value: string, source: string, what: string): void {
  const other = /[^\x20-\x7e]/u.exec(value)?.[0];
  if (other === undefined) return;
  const code = `U+${(other.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  const kind = /[\p{Cc}\p{Cf}]/u.test(other) ? 'a control character' : 'a character beyond ASCII';
  throw new WardenError(
    'KW_TLS_INPUT',
    `${source}: ${quoted(value)} holds ${kind} (${code}); ${what} takes printable ASCII only`,
  );
}

/**
 * A value for an error message: on one line, safe for a terminal (every character beyond printable
 * ASCII escaped) and cut short when long.
 */
export function quoted(value: string): string {
  const cut = value.length > 80 ? `${value.slice(0, 80)}...` : value;
  return JSON.stringify(cut).replace(
    /[^\x20-\x7e]/gu,
    (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`,
  );
}

function baseCertificate(
  commonName: string,
  publicKey: forge.pki.rsa.PublicKey,
  validity: Validity,
  organizationalUnit?: string,
): forge.pki.Certificate {
  checkCommonName(commonName);
  if (organizationalUnit !== undefined) checkCommonName(organizationalUnit, 'the subject OU');
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  cert.setSubject([
    ...(organizationalUnit === undefined
      ? []
      : [{ name: 'organizationalUnitName', value: organizationalUnit }]),
    { name: 'commonName', value: commonName },
  ]);
  return cert;
}

/** 128 random bits as a positive DER INTEGER with no leading zero byte (RFC 5280 §4.1.2.2). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = 0x40 | ((bytes[0] ?? 0) & 0x3f);
  return bytes.toString('hex');
}

/** The CA's own subjectKeyIdentifier, or RFC 5280 method 1 (SHA-1 of the key) when it has none. */
function keyIdentifierOf(cert: forge.pki.Certificate): string {
  const ski = extensionOf<{ subjectKeyIdentifier: string }>(cert, 'subjectKeyIdentifier');
  if (ski?.subjectKeyIdentifier) return forge.util.hexToBytes(ski.subjectKeyIdentifier);
  return forge.pki
    .getPublicKeyFingerprint(cert.publicKey, { type: 'RSAPublicKey', encoding: 'binary' })
    .toString();
}

export function certificateDer(cert: forge.pki.Certificate): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

/** SHA-256 of the DER certificate, lower-case hex: what the Secret annotations record. */
export function fingerprint(cert: forge.pki.Certificate): string {
  return createHash('sha256').update(certificateDer(cert)).digest('hex');
}

/** Accepts `AB:CD:…` (openssl, keytool) or plain hex. */
export function normaliseFingerprint(text: string): string {
  return text.replaceAll(':', '').toLowerCase();
}

export function certificateToPem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replaceAll('\r\n', '\n');
}

/** Every certificate of a PEM bundle, in order. `source` names the file in errors. */
export function certificatesFromPem(text: string, source: string): forge.pki.Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new WardenError('KW_TLS_INPUT', `${source}: no PEM certificate ("BEGIN CERTIFICATE")`);
  }
  return blocks.map((block, index) => {
    try {
      return forge.pki.certificateFromPem(block);
    } catch (error) {
      throw new WardenError(
        'KW_TLS_INPUT',
        `${source}: certificate ${index + 1} cannot be read (${(error as Error).message}); kafka-warden handles RSA certificates only`,
      );
    }
  });
}

/** `CN=…,O=…` in the order the certificate holds the attributes. */
export function distinguishedName(name: forge.pki.Certificate['subject']): string {
  return name.attributes
    .map((attr) => `${attr.shortName ?? attr.name ?? attr.type}=${String(attr.value)}`)
    .join(',');
}

/** forge types every extension as `{}`; each caller names the fields it reads (forge's parsed form). */
export function extensionOf<T extends object>(
  cert: forge.pki.Certificate,
  name: string,
): Partial<T> | undefined {
  const ext: unknown = cert.getExtension(name);
  return typeof ext === 'object' && ext !== null ? ext : undefined;
}

export function commonNameOf(cert: forge.pki.Certificate): string | null {
  const field = cert.subject.getField('CN') as { value?: unknown } | null;
  return typeof field?.value === 'string' ? field.value : null;
}

export function organizationalUnitOf(cert: forge.pki.Certificate): string | null {
  const field = cert.subject.getField('OU') as { value?: unknown } | null;
  return typeof field?.value === 'string' ? field.value : null;
}

export function subjectAltNamesOf(cert: forge.pki.Certificate): SubjectAltNames {
  const ext = extensionOf<{ altNames: { type: number; value: string; ip?: string }[] }>(
    cert,
    'subjectAltName',
  );
  const names = ext?.altNames ?? [];
  return {
    dns: names.filter((n) => n.type === 2).map((n) => n.value),
    ip: names.filter((n) => n.type === 7 && n.ip).map((n) => n.ip as string),
  };
}

export function extendedKeyUsageOf(cert: forge.pki.Certificate): ExtendedKeyUsage[] {
  const ext = extensionOf<Record<ExtendedKeyUsage, boolean>>(cert, 'extKeyUsage');
  if (!ext) return [];
  return (['serverAuth', 'clientAuth'] as const).filter((usage) => ext[usage] === true);
}

export function isCaCertificate(cert: forge.pki.Certificate): boolean {
  return extensionOf<{ cA: boolean }>(cert, 'basicConstraints')?.cA === true;
}

/** Whether `issuer`'s key signed `cert` (not a full path validation: names and time are separate). */
export function isSignedBy(cert: forge.pki.Certificate, issuer: forge.pki.Certificate): boolean {
  try {
    return issuer.verify(cert);
  } catch {
    return false;
  }
}
