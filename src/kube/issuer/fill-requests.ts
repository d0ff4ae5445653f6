/**
 * The pass over client Secret requests (client-requests.ts, docs/tls.md "Client Secrets on
 * request"): list the labelled Secrets, and for each read it again, decide (decide-request.ts) and
 * fill or renew it with a PUT carrying the resourceVersion read. The user's labels, annotations and
 * other keys stay; a lost race (the user changed it, or the other replica filled it first) reads
 * and decides again (conflict-retry.ts).
 */
import type { KubeObject } from '../../core/k8s-types';
import { ANNOTATIONS } from '../../tls';
import { collectionPaths, listAll, secretPath } from './api';
import {
  CLIENT_REQUEST_SELECTOR,
  clientRequestFor,
  filledRequest,
  materialView,
  type ClientRequest,
} from './client-requests';
import { CONFLICT, retryOnConflict } from './conflict-retry';
import type { EnsureResult, IssuerContext } from './context';
import { decideRequest } from './decide-request';
import {
  brokerTrustReader,
  gatherRequest,
  type BrokerTrust,
  type Coverage,
  type LoadedCa,
} from './gather';
import { newSecret, trustedCas } from './material';
import { replaceSecret } from './writes';

/** Only labelled Secrets are listed and watched: nothing without the label is ever read. */
export const REQUEST_QUERY = `labelSelector=${encodeURIComponent(CLIENT_REQUEST_SELECTOR)}`;
const LIST_PROBLEM = 'client-requests/list';

/** `brokers`: the broker StatefulSets the pass issues for, keyed `<namespace>/<name>`. */
export async function fillRequests(
  context: IssuerContext,
  coverage: Coverage,
  brokers: ReadonlyMap<string, KubeObject>,
  ca: LoadedCa,
  stopped: () => boolean,
): Promise<void> {
  const { api, logger, metrics, reports } = context;
  let requests: unknown[];
  try {
    requests = await listAll(
      api,
      collectionPaths('/api/v1', 'secrets', coverage.namespaces),
      REQUEST_QUERY,
    );
    reports.forget(LIST_PROBLEM);
  } catch (error) {
    reports.warn(
      LIST_PROBLEM,
      { error: (error as Error).message },
      `cannot list the client Secret requests (${CLIENT_REQUEST_SELECTOR}); ` +
        'broker and client Secrets are still issued',
    );
    return;
  }
  const brokerTrustOf = brokerTrustReader(context);
  for (const item of requests) {
    if (stopped()) return;
    const secret = item as KubeObject;
    const namespace = secret.metadata?.namespace ?? '';
    if (coverage.excluded.has(namespace)) continue;
    const where = { namespace, secret: secret.metadata?.name, kind: 'client-request' };
    const verdict = clientRequestFor(secret, brokers);
    if (!verdict.ok) {
      metrics.secrets.inc({ kind: 'client-request', result: 'refused' });
      reports.warn(
        `${namespace}/${secret.metadata?.name}/request/${verdict.problem}`,
        where,
        `client Secret request not filled: ${verdict.problem}`,
      );
      continue;
    }
    try {
      const result = await fillRequest(context, verdict.request, brokers, ca, brokerTrustOf);
      metrics.secrets.inc({ kind: 'client-request', result });
    } catch (error) {
      metrics.secrets.inc({ kind: 'client-request', result: 'error' });
      logger.warn(
        { ...where, error: (error as Error).message },
        'could not fill the client Secret request; retrying on the next pass',
      );
    }
  }
}

async function fillRequest(
  context: IssuerContext,
  listed: ClientRequest,
  brokers: ReadonlyMap<string, KubeObject>,
  ca: LoadedCa,
  brokerTrustOf: (request: ClientRequest) => Promise<BrokerTrust | undefined>,
): Promise<EnsureResult> {
  const { api, clock, logger, reports } = context;
  const path = secretPath(listed.namespace, listed.name);
  const where = { namespace: listed.namespace, secret: listed.name, kind: 'client-request' };
  return retryOnConflict(async (lostRace) => {
    const inputs = await gatherRequest(context, path, brokers, brokerTrustOf);
    if (!inputs) return 'gone';
    const { current, request, broker } = inputs;
    const decision = decideRequest(current, request, broker, {
      ca,
      now: clock(),
      renewBeforeDays: context.renewBeforeDays,
    });
    if (decision.action === 'keep') {
      reports.problem(`${request.namespace}/${request.name}`, where, decision.problem);
      return decision.result === 'current' && lostRace ? 'adopted' : decision.result;
    }
    const ownTrust = decision.keepOwnTrust ? trustedCas(materialView(current), clock()) : [];
    const manifest = await newSecret(
      {
        kind: 'client',
        name: request.name,
        namespace: request.namespace,
        commonName: request.commonName,
        organizationalUnit: request.organizationalUnit,
        subjectAltNames: [],
      },
      ca.signing,
      [...(broker?.trusted ?? []), ...ownTrust],
      clock,
    );
    const written = await replaceSecret(api, path, filledRequest(current, manifest, request));
    if (written === CONFLICT) {
      logger.info(where, 'changed concurrently; re-reading');
      return CONFLICT;
    }
    const issued = decision.result === 'issued';
    logger.info(
      {
        ...where,
        cluster: `${request.cluster.namespace}/${request.cluster.name}`,
        subject: request.subject,
        ...(issued ? {} : { reason: decision.reason }),
        notAfter: manifest.metadata.annotations[ANNOTATIONS.notAfter],
      },
      decision.result,
    );
    return decision.result;
  });
}
