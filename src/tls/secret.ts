/**
 * TLS material as a Kubernetes Secret. The annotations let a controller decide "due for renewal?"
 * and "signed by the current CA?" without a store password, and the content hash is what a pod
 * template annotation carries to make a StatefulSet roll when the material changes.
 */
import { createHash } from 'node:crypto';
import { WardenError } from '../core/errors';
import { isRecord } from '../core/k8s-types';
import { CONTENT_HASH_ANNOTATION } from '../core/tls-wiring';
import type { MaterialKind } from './certificates';

/** What issuance knows about the material it produced; recorded in the Secret's annotations. */
export interface MaterialSummary {
  kind: MaterialKind;
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the CA certificate that signed the leaf. */
  issuerFingerprint: string;
  /** SHA-256 of every CA in the truststore. */
  trustedFingerprints: string[];
}

export interface OpaqueSecret<Metadata extends { name: string }> {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: Metadata;
  type: 'Opaque';
  /** Base64, keys sorted: the same material always prints the same manifest. */
  data: Record<string, string>;
}

export type SecretManifest = OpaqueSecret<{
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}>;

/** An Opaque Secret holding `files`, with the metadata given. */
export function opaqueSecret<Metadata extends { name: string }>(
  metadata: Metadata,
  files: Record<string, Buffer>,
): OpaqueSecret<Metadata> {
  const data: Record<string, string> = {};
  for (const name of Object.keys(files).sort())
    data[name] = (files[name] as Buffer).toString('base64');
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data };
}

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'kafka-warden' } as const;
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

export const ANNOTATIONS = {
  kind: 'kafka-warden.io/tls-kind',
  issuerFingerprint: 'kafka-warden.io/tls-ca-fingerprint',
  trustedFingerprints: 'kafka-warden.io/tls-trusted-ca-fingerprints',
  notBefore: 'kafka-warden.io/tls-not-before',
  notAfter: 'kafka-warden.io/tls-not-after',
  subjectAltNames: 'kafka-warden.io/tls-subject-alt-names',
  /** Also the pod template annotation that rolls the StatefulSet (docs/design.md). */
  contentHash: CONTENT_HASH_ANNOTATION,
} as const;

/**
 * SHA-256 over the files in name order, each as name, NUL, length, NUL, bytes: no two different
 * sets of files share a hash by shifting bytes between neighbours.
 */
export function contentHash(files: Record<string, Buffer>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) {
    const data = files[name] as Buffer;
    hash.update(`${name}\0${data.length}\0`).update(data);
  }
  return hash.digest('hex');
}

/**
 * The value for pod template annotation `kafka-warden.io/tls-content-hash` (config
 * `tls.contentHash`) over the Secrets a workload mounts. For one Secret it is that Secret's
 * content hash, as recorded in its annotation; for several, the content hash over each Secret's
 * name and hash, so the order they are given in does not matter. Any change in any data rolls.
 */
export function rollHash(secrets: { name: string; files: Record<string, Buffer> }[]): string {
  const [only, ...more] = secrets;
  if (only && more.length === 0) return contentHash(only.files);
  return contentHash(
    Object.fromEntries(secrets.map((s) => [s.name, Buffer.from(contentHash(s.files))])),
  );
}

export function toSecret(
  material: { files: Record<string, Buffer>; summary: MaterialSummary },
  options: { name: string; namespace?: string; labels?: Record<string, string> },
): SecretManifest {
  const { files, summary } = material;
  return opaqueSecret(
    {
      name: options.name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels: { ...options.labels, ...MANAGED_BY, [COMPONENT_LABEL]: `kafka-${summary.kind}-tls` },
      annotations: {
        [ANNOTATIONS.kind]: summary.kind,
        [ANNOTATIONS.issuerFingerprint]: summary.issuerFingerprint,
        [ANNOTATIONS.trustedFingerprints]: summary.trustedFingerprints.join(','),
        [ANNOTATIONS.notBefore]: summary.notBefore.toISOString(),
        [ANNOTATIONS.notAfter]: summary.notAfter.toISOString(),
        [ANNOTATIONS.subjectAltNames]: [...summary.dnsNames, ...summary.ipAddresses].join(','),
        [ANNOTATIONS.contentHash]: contentHash(files),
      },
    },
    files,
  );
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The files of a Secret manifest: `data` (base64) and `stringData` (text; it wins, as the API
 * server merges it). `source` names the manifest in errors, which never quote a value.
 */
export function filesFromSecret(secret: unknown, source: string): Record<string, Buffer> {
  if (!isRecord(secret) || secret.kind !== 'Secret') {
    throw new WardenError('KW_TLS_INPUT', `${source}: not a Secret manifest (kind: Secret)`);
  }
  const files: Record<string, Buffer> = {};
  const data = isRecord(secret.data) ? secret.data : {};
  for (const [name, value] of Object.entries(data)) {
    const text = typeof value === 'string' ? value.replace(/\s+/g, '') : null;
    if (text === null || !BASE64.test(text)) {
      throw new WardenError('KW_TLS_INPUT', `${source}: data.${name} is not base64`);
    }
    files[name] = Buffer.from(text, 'base64');
  }
  const stringData = isRecord(secret.stringData) ? secret.stringData : {};
  for (const [name, value] of Object.entries(stringData)) {
    if (typeof value !== 'string') {
      throw new WardenError('KW_TLS_INPUT', `${source}: stringData.${name} is not a string`);
    }
    files[name] = Buffer.from(value, 'utf8');
  }
  return files;
}

export function secretName(secret: unknown): { name?: string; namespace?: string } {
  const metadata = isRecord(secret) && isRecord(secret.metadata) ? secret.metadata : {};
  return {
    ...(typeof metadata.name === 'string' ? { name: metadata.name } : {}),
    ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
  };
}

/** Annotations and labels of any object, as plain string maps. */
export function metadataMaps(object: unknown): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
  const strings = (value: unknown): Record<string, string> =>
    isRecord(value)
      ? Object.fromEntries(
          Object.entries(value).filter(
            (entry): entry is [string, string] => typeof entry[1] === 'string',
          ),
        )
      : {};
  return { labels: strings(metadata.labels), annotations: strings(metadata.annotations) };
}
