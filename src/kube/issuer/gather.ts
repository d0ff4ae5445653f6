/**
 * What a pass looks at, gathered before anything is decided (as cert-manager gathers a
 * certificate's inputs into one value before its policy chain runs): the signing CA, the
 * StatefulSets in the namespaces the issuer covers, and for a client request its cluster's broker
 * Secret. Only reads happen here.
 */
import type forge from 'node-forge';
import { secretNameFor } from '../../core/config';
import type { KubeObject } from '../../core/k8s-types';
import { caPemFromSecret, fingerprint, loadCa, needsRenewal, type SigningCa } from '../../tls';
import { statusMessage } from '../kube-api';
import { collectionPaths, listAll, readObject, secretPath, type SecretObject } from './api';
import { clientRequestFor, type ClientRequest } from './client-requests';
import type { IssuerContext } from './context';
import type { BrokerTrustFacts } from './decide-request';
import { trustedCas } from './material';

export interface LoadedCa {
  resourceVersion: string;
  signing: SigningCa;
  /** SHA-256 of the CA certificate. */
  fingerprint: string;
  /** When the CA certificate expires: no leaf it signs lasts longer. */
  notAfter: Date;
}

/** Everything a pass decides on. */
export interface PassInputs {
  ca: LoadedCa;
  /** Every StatefulSet in the covered namespaces, the excluded ones left out. */
  statefulSets: KubeObject[];
}

export type Gathered =
  | { ok: true; inputs: PassInputs }
  /** `no-ca`: no usable CA (said once until it changes); `error`: the StatefulSets cannot be listed. */
  | { ok: false; result: 'no-ca' | 'error' };

export interface Coverage {
  /** Undefined or empty: every namespace. */
  namespaces: readonly string[] | undefined;
  excluded: ReadonlySet<string>;
}

/** The CA Secret, read every pass (a replaced CA is seen at once), parsed only when it changed. */
export class CaSource {
  private ca: LoadedCa | undefined;
  /** The last CA problem logged, so a missing CA Secret is reported once, not every pass. */
  private problem: string | undefined;

  constructor(
    private readonly context: Pick<IssuerContext, 'api' | 'clock' | 'logger'>,
    private readonly secret: { namespace: string; name: string },
  ) {}

  /** The CA to sign with, or undefined (the problem logged once) when there is none to use. */
  async load(): Promise<LoadedCa | undefined> {
    try {
      return await this.read();
    } catch (error) {
      this.report(`the CA Secret cannot be read: ${(error as Error).message}`);
      return undefined;
    }
  }

  private async read(): Promise<LoadedCa | undefined> {
    const { namespace, name } = this.secret;
    const source = `Secret ${namespace}/${name}`;
    const read = await this.context.api.request<SecretObject>('GET', secretPath(namespace, name));
    if (read.status !== 200) {
      this.report(`${source}: ${statusMessage(read)}`);
      return undefined;
    }
    const resourceVersion = read.body.metadata?.resourceVersion ?? '';
    if (this.ca && this.ca.resourceVersion === resourceVersion) return this.ca;
    try {
      const signing = loadCa(
        caPemFromSecret(read.body, source),
        { certificate: `${source} tls.crt`, key: `${source} tls.key` },
        this.context.clock(),
      );
      const loaded: LoadedCa = {
        resourceVersion,
        signing,
        fingerprint: fingerprint(signing.certificate),
        notAfter: signing.certificate.validity.notAfter,
      };
      if (this.ca) {
        this.context.logger.info(
          { previous: this.ca.fingerprint, fingerprint: loaded.fingerprint },
          'the CA Secret changed',
        );
      }
      this.ca = loaded;
      this.problem = undefined;
      return loaded;
    } catch (error) {
      // KW_TLS_CA messages name the Secret key and the problem, never the key itself.
      this.report((error as Error).message);
      return undefined;
    }
  }

  private report(problem: string): void {
    if (problem === this.problem) return;
    this.problem = problem;
    this.context.logger.warn({ problem }, 'no usable CA; nothing is issued until it is fixed');
  }
}

/** The CA, then the StatefulSets: a pass without a CA lists nothing. */
export async function gatherPass(
  context: Pick<IssuerContext, 'api' | 'logger'>,
  caSource: CaSource,
  coverage: Coverage,
): Promise<Gathered> {
  const ca = await caSource.load();
  if (!ca) return { ok: false, result: 'no-ca' };
  let listed: unknown[];
  try {
    listed = await listAll(
      context.api,
      collectionPaths('/apis/apps/v1', 'statefulsets', coverage.namespaces),
    );
  } catch (error) {
    context.logger.warn({ error: (error as Error).message }, 'cannot list StatefulSets');
    return { ok: false, result: 'error' };
  }
  const statefulSets = (listed as KubeObject[]).filter(
    (statefulSet) => !coverage.excluded.has(statefulSet.metadata?.namespace ?? ''),
  );
  return { ok: true, inputs: { ca, statefulSets } };
}

/** A cluster's broker Secret and the still-valid CAs its truststore holds. */
export interface BrokerTrust extends BrokerTrustFacts {
  secret: SecretObject;
  trusted: forge.pki.Certificate[];
}

/**
 * The requested cluster's broker Secret when kafka-warden made it (its trust is the reference for
 * the request's), read once per pass however many requests name the cluster.
 */
export function brokerTrustReader(
  context: Pick<IssuerContext, 'api' | 'clock' | 'config'>,
): (request: ClientRequest) => Promise<BrokerTrust | undefined> {
  const read = new Map<string, Promise<BrokerTrust | undefined>>();
  return (request) => {
    const key = `${request.cluster.namespace}/${request.cluster.name}`;
    let found = read.get(key);
    if (!found) {
      found = readBrokerTrust(context, request);
      read.set(key, found);
    }
    return found;
  };
}

async function readBrokerTrust(
  context: Pick<IssuerContext, 'api' | 'clock' | 'config'>,
  request: ClientRequest,
): Promise<BrokerTrust | undefined> {
  const name = secretNameFor(context.config.tls.brokerSecretName, request.cluster.name);
  const read = await context.api.request<SecretObject>(
    'GET',
    secretPath(request.cluster.namespace, name),
  );
  if (read.status !== 200) return undefined;
  if (needsRenewal(read.body, context.clock()).reason === 'not-managed') return undefined;
  const trusted = trustedCas(read.body, context.clock());
  return { secret: read.body, trusted, trustedFingerprints: trusted.map(fingerprint) };
}

/** A client request as read again just before deciding, with its cluster's broker Secret. */
export interface RequestInputs {
  current: KubeObject;
  request: ClientRequest;
  broker: BrokerTrust | undefined;
}

/**
 * Read again and judged again, since the list: the label may be gone (then hands off: null), and
 * the client name or the cluster may have changed.
 */
export async function gatherRequest(
  context: Pick<IssuerContext, 'api'>,
  path: string,
  brokers: ReadonlyMap<string, KubeObject>,
  brokerTrustOf: (request: ClientRequest) => Promise<BrokerTrust | undefined>,
): Promise<RequestInputs | null> {
  const current = await readObject<KubeObject>(context.api, path);
  if (current === null) return null;
  const verdict = clientRequestFor(current, brokers);
  if (!verdict.ok) return null;
  const broker = await brokerTrustOf(verdict.request);
  return { current, request: verdict.request, broker };
}
