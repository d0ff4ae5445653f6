/**
 * PKCS#12 key and trust stores that every JVM in play reads (Java 8, 11, 17; ../shared/DOMAIN.md
 * §6): the private key in a pkcs8ShroudedKeyBag encrypted with pbeWithSHAAnd3-KeyTripleDES-CBC,
 * certificates in plain cert bags, a SHA-1 HMAC over the whole. AES (PBES2) would need Java 12+.
 *
 * A truststore is more than certificates: Java's PKCS12KeyStore makes a trustedCertEntry only of a
 * cert bag carrying Oracle's trusted-key-usage attribute (OID 2.16.840.1.113894.746875.1.1, value
 * anyExtendedKeyUsage). Without it the JVM loads an empty truststore and every handshake fails.
 * node-forge cannot add bag attributes, so the truststore is assembled here from forge's ASN.1
 * primitives; the keystore is forge's own.
 */
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { WardenError } from '../core/errors';
import { fingerprint } from './certificates';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

export const JAVA_TRUSTED_KEY_USAGE_OID = '2.16.840.1.113894.746875.1.1';
/** Object identifiers used here (RFC 7292, RFC 2985, RFC 5280), spelled out for the type checker. */
const OID = {
  anyExtendedKeyUsage: '2.5.29.37.0',
  data: '1.2.840.113549.1.7.1',
  sha1: '1.3.14.3.2.26',
  friendlyName: '1.2.840.113549.1.9.20',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
} as const;
/** forge's default; also the count Java 8's keytool used. */
const ITERATIONS = 2048;
export const KEYSTORE_ALIAS = 'kafka';

export function encodeKeystore(options: {
  key: forge.pki.rsa.PrivateKey;
  /** Leaf first, then its issuers. */
  chain: forge.pki.Certificate[];
  password: string;
}): Buffer {
  const pfx = forge.pkcs12.toPkcs12Asn1(options.key, options.chain, options.password, {
    algorithm: '3des',
    count: ITERATIONS,
    friendlyName: KEYSTORE_ALIAS,
  });
  return toBuffer(pfx);
}

/** The alias Java shows for a trusted CA: stable per certificate, distinct between CAs. */
export function trustAlias(cert: forge.pki.Certificate): string {
  return `ca-${fingerprint(cert).slice(0, 16)}`;
}

export function encodeTruststore(options: {
  certificates: forge.pki.Certificate[];
  password: string;
}): Buffer {
  const bags = options.certificates.map((cert) => trustedCertBag(cert, trustAlias(cert)));
  const safeContents = seq(bags);
  const authenticatedSafe = seq([dataContentInfo(der(safeContents))]);
  const pfx = seq([
    int(3),
    dataContentInfo(der(authenticatedSafe)),
    macData(der(authenticatedSafe), options.password),
  ]);
  return toBuffer(pfx);
}

function trustedCertBag(cert: forge.pki.Certificate, alias: string): Asn1 {
  const certDer = der(forge.pki.certificateToAsn1(cert));
  const certBag = seq([
    oid(OID.x509Certificate),
    explicit0(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, certDer)),
  ]);
  const attributes = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [
    attribute(
      OID.friendlyName,
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, alias),
    ),
    attribute(JAVA_TRUSTED_KEY_USAGE_OID, oid(OID.anyExtendedKeyUsage)),
  ]);
  return seq([oid(OID.certBag), explicit0(certBag), attributes]);
}

/** MacData (RFC 7292 §4): HMAC-SHA1 keyed by the PKCS#12 KDF (ID 3) over the AuthenticatedSafe. */
function macData(content: string, password: string): Asn1 {
  const salt = randomBytes(20).toString('binary');
  const key = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), 3, ITERATIONS, 20);
  const hmac = forge.hmac.create();
  hmac.start('sha1', key.getBytes());
  hmac.update(content);
  const digestInfo = seq([
    seq([oid(OID.sha1), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, hmac.digest().getBytes()),
  ]);
  return seq([
    digestInfo,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, salt),
    int(ITERATIONS),
  ]);
}

function dataContentInfo(content: string): Asn1 {
  return seq([
    oid(OID.data),
    explicit0(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, content)),
  ]);
}

function attribute(type: string, value: Asn1): Asn1 {
  return seq([oid(type), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [value])]);
}

const seq = (items: Asn1[]): Asn1 =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const oid = (id: string): Asn1 =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
const int = (n: number): Asn1 =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const explicit0 = (inner: Asn1): Asn1 => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [inner]);
const der = (node: Asn1): string => asn1.toDer(node).getBytes();
const toBuffer = (node: Asn1): Buffer => Buffer.from(der(node), 'binary');

// ---- reading -------------------------------------------------------------------------------

export interface DecodedKeystore {
  alias: string | null;
  key: forge.pki.rsa.PrivateKey;
  /** Leaf first, then issuers in order as far as the store holds them. */
  chain: forge.pki.Certificate[];
}

export interface TrustedCertificate {
  alias: string | null;
  certificate: forge.pki.Certificate;
}

/**
 * Opens a store. `file` names it in errors; the password never appears in one. A wrong password
 * and a damaged file look alike to a MAC check, so the message says both.
 */
function openStore(data: Buffer, password: string, file: string): forge.pkcs12.Pkcs12Pfx {
  let parsed: Asn1;
  try {
    parsed = asn1.fromDer(data.toString('binary'));
  } catch {
    throw new WardenError('KW_TLS_INPUT', `${file}: not a PKCS#12 file (no DER structure)`);
  }
  try {
    return forge.pkcs12.pkcs12FromAsn1(parsed, true, password);
  } catch (error) {
    const message = (error as Error).message;
    throw new WardenError(
      'KW_TLS_INPUT',
      /MAC|password|decrypt/i.test(message)
        ? `${file}: the password from its credentials does not open it (wrong password or damaged file)`
        : `${file}: not a PKCS#12 store kafka-warden can read (${message.split('\n')[0]})`,
    );
  }
}

export function decodeKeystore(data: Buffer, password: string, file: string): DecodedKeystore {
  const pfx = openStore(data, password, file);
  const keyBags = [
    ...(pfx.getBags({ bagType: OID.pkcs8ShroudedKeyBag })[OID.pkcs8ShroudedKeyBag] ?? []),
    ...(pfx.getBags({ bagType: OID.keyBag })[OID.keyBag] ?? []),
  ];
  const keyBag = keyBags[0];
  if (keyBags.length !== 1 || !keyBag?.key) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${file}: expected exactly one RSA private key entry, found ${keyBags.length}`,
    );
  }
  const certs = (pfx.getBags({ bagType: OID.certBag })[OID.certBag] ?? [])
    .map((bag) => bag.cert)
    .filter((cert): cert is forge.pki.Certificate => cert !== undefined);
  const key = keyBag.key;
  const leaf = certs.find((cert) => (cert.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n));
  if (!leaf) {
    throw new WardenError('KW_TLS_INPUT', `${file}: no certificate matches the private key`);
  }
  return { alias: friendlyName(keyBag), key, chain: orderChain(leaf, certs) };
}

/** The trusted entries as Java sees them: cert bags with the trusted-key-usage attribute. */
export function decodeTruststore(
  data: Buffer,
  password: string,
  file: string,
): TrustedCertificate[] {
  const pfx = openStore(data, password, file);
  const bags = pfx.getBags({ bagType: OID.certBag })[OID.certBag] ?? [];
  return bags
    .filter((bag) => bag.cert !== undefined && hasTrustedKeyUsage(bag))
    .map((bag) => ({ alias: friendlyName(bag), certificate: bag.cert as forge.pki.Certificate }));
}

function friendlyName(bag: forge.pkcs12.Bag): string | null {
  // forge decodes known attributes into arrays of values keyed by name.
  const names = (bag.attributes as Record<string, unknown[] | undefined>).friendlyName;
  return typeof names?.[0] === 'string' ? names[0] : null;
}

/**
 * forge decodes only the bag attributes whose OID its table names and drops the rest (and keeps no
 * raw ASN.1 of cert bags), so Oracle's attribute gets a name. The table is forge's shared registry
 * of OIDs; adding an entry is how forge itself extends it, and nothing else uses this one.
 */
const TRUSTED_KEY_USAGE_NAME = 'javaTrustedKeyUsage';
forge.pki.oids[JAVA_TRUSTED_KEY_USAGE_OID] ??= TRUSTED_KEY_USAGE_NAME;

function hasTrustedKeyUsage(bag: forge.pkcs12.Bag): boolean {
  const attributes = bag.attributes as Record<string, unknown[] | undefined>;
  return (
    (attributes[forge.pki.oids[JAVA_TRUSTED_KEY_USAGE_OID] ?? TRUSTED_KEY_USAGE_NAME]?.length ??
      0) > 0
  );
}

function orderChain(
  leaf: forge.pki.Certificate,
  certs: forge.pki.Certificate[],
): forge.pki.Certificate[] {
  const chain = [leaf];
  for (;;) {
    const last = chain[chain.length - 1] as forge.pki.Certificate;
    if (last.isIssuer(last)) break; // self-signed: the root
    const issuer = certs.find((cert) => !chain.includes(cert) && last.isIssuer(cert));
    if (!issuer) break;
    chain.push(issuer);
  }
  return chain;
}
