/**
 * New material as a Secret manifest, and the CAs a Secret's truststore holds: the two things the
 * writers need from src/tls that are not decisions.
 */
import type forge from 'node-forge';
import { SECRET_KEYS } from '../../core/tls-wiring';
import { filesFromSecret, issueMaterial, toSecret, type Clock, type SigningCa } from '../../tls';
import { passwordsFromFiles } from '../../tls/passwords';
import { decodeTruststore } from '../../tls/pkcs12';
import { isValidAt } from '../../tls/validity';
import { CLUSTER_LABEL, type SecretTarget } from './targets';

/** A broker or components Secret (a SecretTarget), or a client request (an OU, no cluster label). */
export type MaterialTarget = Pick<
  SecretTarget,
  'kind' | 'name' | 'namespace' | 'commonName' | 'subjectAltNames'
> & {
  cluster?: string;
  organizationalUnit?: string;
};

/** New key and certificate signed by `ca`, trusting `ca` and `alsoTrust`, as a Secret manifest. */
export async function newSecret(
  target: MaterialTarget,
  ca: SigningCa,
  alsoTrust: forge.pki.Certificate[],
  clock: Clock,
) {
  const material = await issueMaterial(target.kind, {
    ca,
    commonName: target.commonName,
    ...(target.organizationalUnit ? { organizationalUnit: target.organizationalUnit } : {}),
    subjectAltNames: target.subjectAltNames,
    alsoTrust,
    clock,
  });
  return toSecret(material, {
    name: target.name,
    namespace: target.namespace,
    labels: target.cluster ? { [CLUSTER_LABEL]: target.cluster } : {},
  });
}

/**
 * The CAs the current truststore trusts and that are still valid: a renewal keeps them, so a CA
 * the operator added ahead of a rotation (docs/tls.md, step 1) and the old CA after the CA Secret
 * changed (step 2) stay trusted. Unreadable material keeps nothing but the signing CA.
 */
export function trustedCas(secret: unknown, now: Date): forge.pki.Certificate[] {
  try {
    const files = filesFromSecret(secret, 'the Secret');
    const store = files[SECRET_KEYS.truststore];
    if (!store) return [];
    const { truststore } = passwordsFromFiles(files, 'the Secret');
    return decodeTruststore(store, truststore, SECRET_KEYS.truststore)
      .map((entry) => entry.certificate)
      .filter((cert) => isValidAt(cert.validity, now));
  } catch {
    return [];
  }
}
