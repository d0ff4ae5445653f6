/**
 * A throw-away CA and serving certificate for `kafka-warden serve` without certificate flags (local
 * use and tests). Keys come from Node's asynchronous generator, so start-up does not block.
 *
 * Neither key is ever written: the CA's is dropped once it has signed, and the serving key lives
 * only in the server's TLS context, so no crash, signal or SIGKILL can leave a private key behind.
 * Only the CA certificate, which clients need in order to trust the server, goes to a file.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import type { CertificatePair } from './serving-certificate';

const generate = promisify(generateKeyPair);

export interface SelfSigned {
  /** The CA certificate (PEM): what a client trusts. */
  caPem: string;
  /** The serving certificate followed by the CA's, and the serving key (PEM). */
  pair: CertificatePair;
}

async function rsaKey(): Promise<forge.pki.rsa.PrivateKey> {
  const { privateKey } = await generate('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return forge.pki.privateKeyFromPem(privateKey);
}

function certificate(
  subject: string,
  publicKey: forge.pki.PublicKey,
  issuer: { name: string; key: forge.pki.rsa.PrivateKey },
  extensions: object[],
  days: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer([{ name: 'commonName', value: issuer.name }]);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return cert;
}

export async function createSelfSigned(hosts: string[], days = 30): Promise<SelfSigned> {
  const [caKey, serverKey] = await Promise.all([rsaKey(), rsaKey()]);
  // A unique name: clients pick the issuer by name, and two throw-away CAs may be trusted at once.
  const caName = `kafka-warden self-signed CA ${randomBytes(4).toString('hex')}`;
  const caPublic = forge.pki.setRsaPublicKey(caKey.n, caKey.e);
  const ca = certificate(
    caName,
    caPublic,
    { name: caName, key: caKey },
    [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
    days,
  );
  const altNames = hosts.map((host) =>
    /^\d+\.\d+\.\d+\.\d+$/.test(host) ? { type: 7, ip: host } : { type: 2, value: host },
  );
  const server = certificate(
    hosts[0] ?? 'localhost',
    forge.pki.setRsaPublicKey(serverKey.n, serverKey.e),
    { name: caName, key: caKey },
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
    days,
  );
  const caPem = forge.pki.certificateToPem(ca);
  return {
    caPem,
    pair: {
      cert: Buffer.from(forge.pki.certificateToPem(server) + caPem),
      key: Buffer.from(forge.pki.privateKeyToPem(serverKey)),
    },
  };
}

/** The CA certificate as `<new private temp dir>/ca.crt`; the caller removes the directory. */
export function writeCaCertificate(caPem: string): { dir: string; caFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kafka-warden-serving-'));
  const caFile = path.join(dir, 'ca.crt');
  writeFileSync(caFile, caPem);
  return { dir, caFile };
}
