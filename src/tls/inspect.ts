/**
 * What a set of TLS material holds, as data: subjects, names, validity, issuers, CA fingerprints,
 * and the problems a JVM would run into. Passwords are used to open the stores and never reported.
 */
import type forge from 'node-forge';
import { SECRET_KEYS } from '../core/tls-wiring';
import {
  certificatesFromPem,
  distinguishedName,
  extendedKeyUsageOf,
  fingerprint,
  isCaCertificate,
  isSignedBy,
  subjectAltNamesOf,
  type ExtendedKeyUsage,
} from './certificates';
import type { MaterialFiles } from './material';
import { passwordMismatches, passwordsFromFiles } from './passwords';
import { decodeKeystore, decodeTruststore } from './pkcs12';
import { ANNOTATIONS, contentHash, filesFromSecret, metadataMaps, secretName } from './secret';
import { isValidAt } from './validity';

export interface CertificateReport {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256Fingerprint: string;
  dnsNames: string[];
  ipAddresses: string[];
  extendedKeyUsage: ExtendedKeyUsage[];
  isCa: boolean;
}

export interface MaterialReport {
  source: string;
  secret?: { name?: string; namespace?: string; annotations: Record<string, string> };
  keystore?: {
    alias: string | null;
    certificate: CertificateReport;
    /** Subjects, leaf first: what the broker presents. */
    chain: string[];
    /** SHA-256 of the certificate that signed the leaf, when the chain holds it. */
    issuerFingerprint: string | null;
  };
  truststore?: { alias: string | null; certificate: CertificateReport }[];
  /** What is wrong, in words; empty when the material is usable as it is. */
  problems: string[];
}

export function describeCertificate(cert: forge.pki.Certificate): CertificateReport {
  const sans = subjectAltNamesOf(cert);
  return {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    serialNumber: cert.serialNumber,
    notBefore: cert.validity.notBefore.toISOString(),
    notAfter: cert.validity.notAfter.toISOString(),
    sha256Fingerprint: fingerprint(cert),
    dnsNames: sans.dns,
    ipAddresses: sans.ip,
    extendedKeyUsage: extendedKeyUsageOf(cert),
    isCa: isCaCertificate(cert),
  };
}

export function inspectCertificates(pem: string, source: string): CertificateReport[] {
  return certificatesFromPem(pem, source).map(describeCertificate);
}

function isSecret(input: unknown): boolean {
  return (
    typeof input === 'object' && input !== null && (input as { kind?: unknown }).kind === 'Secret'
  );
}

/**
 * Reports on material given as its files (a directory read by file-io.ts) or as a Secret manifest.
 * Unreadable stores (wrong password, damaged file) throw KW_TLS_INPUT naming the file.
 */
export function inspectMaterial(
  /** MaterialFiles, or a parsed Secret manifest (anything with `kind: Secret`). */
  input: unknown,
  source: string,
  now: Date,
): MaterialReport {
  const files: MaterialFiles = isSecret(input)
    ? filesFromSecret(input, source)
    : (input as MaterialFiles);
  const report: Omit<MaterialReport, 'problems'> = { source };
  const problems: string[] = [];
  if (isSecret(input)) {
    const { annotations } = metadataMaps(input);
    report.secret = { ...secretName(input), annotations };
    const recorded = annotations[ANNOTATIONS.contentHash];
    if (recorded && recorded !== contentHash(files)) {
      problems.push(
        `the data does not match annotation ${ANNOTATIONS.contentHash}: edited by hand?`,
      );
    }
  }
  const missing = Object.values(SECRET_KEYS).filter((name) => !files[name]);
  if (missing.length > 0) problems.push(`missing: ${missing.join(', ')}`);
  const passwords = passwordsFromFiles(files, source);
  for (const store of passwordMismatches(files)) {
    problems.push(
      `${SECRET_KEYS.passwordsProperties} disagrees with the ${store} credentials file`,
    );
  }
  if (passwords.key !== passwords.keystore) {
    problems.push('the key password differs from the keystore password; PKCS#12 needs them equal');
  }

  const keystoreFile = files[SECRET_KEYS.keystore];
  if (keystoreFile) {
    const decoded = decodeKeystore(
      keystoreFile,
      passwords.keystore,
      `${source}: ${SECRET_KEYS.keystore}`,
    );
    const [leaf, issuer] = decoded.chain as [forge.pki.Certificate, forge.pki.Certificate?];
    report.keystore = {
      alias: decoded.alias,
      certificate: describeCertificate(leaf),
      chain: decoded.chain.map((cert) => distinguishedName(cert.subject)),
      issuerFingerprint: issuer ? fingerprint(issuer) : null,
    };
    if (!isValidAt(leaf.validity, now)) {
      problems.push(`the certificate is not valid now (${now.toISOString()})`);
    }
    if (!issuer) problems.push('the keystore lacks the issuing CA certificate (chain of one)');
    else if (!isSignedBy(leaf, issuer))
      problems.push('the certificate is not signed by the next one in its chain');
  }

  const truststoreFile = files[SECRET_KEYS.truststore];
  if (truststoreFile) {
    const trusted = decodeTruststore(
      truststoreFile,
      passwords.truststore,
      `${source}: ${SECRET_KEYS.truststore}`,
    );
    report.truststore = trusted.map((entry) => ({
      alias: entry.alias,
      certificate: describeCertificate(entry.certificate),
    }));
    if (trusted.length === 0) {
      problems.push('the truststore holds no trusted certificate entry: Java would trust nothing');
    }
    const leafIssuer = report.keystore?.issuerFingerprint;
    if (
      leafIssuer &&
      !report.truststore.some((e) => e.certificate.sha256Fingerprint === leafIssuer)
    ) {
      problems.push(
        "the truststore does not trust the certificate's own CA: peers with the same material would be refused",
      );
    }
  }
  // Problems last: the verdict under the details it is about.
  return { ...report, problems };
}
