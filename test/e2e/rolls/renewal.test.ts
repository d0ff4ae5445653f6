/**
 * A certificate renewal rolled by kafka-warden's Secret issuer, under load (docs/rolls.md): the
 * issuer runs in the roll gate's serve, as the chart runs both (`serve --roll-gate
 * --issue-secrets`), with the CA the release's Secrets were issued with; `tls.contentHash: null`,
 * so the issuer alone writes the pod template's hash (docs/design.md, "The roll after a renewal").
 *
 * The trigger is the cluster tier's (test/e2e/cluster/secret-issuer.test.ts, the roll case): the
 * broker Secret's material replaced by a 10-day certificate from the same CA, inside the 30-day
 * renewal window. The issuer must renew it (`expiring`) and patch the StatefulSet's pod template
 * annotation; the StatefulSet controller then rolls the brokers, one at a time behind the gate.
 * Asserted: every broker rolled, no send failed, no second below min ISR, nothing lost or
 * duplicated, and every broker now serves the renewed certificate over its TLS listener.
 */
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import { apiRequest, eventually } from '../../support/control-plane';
import { forceIntoRenewalWindow, get, list, type KubeObj } from '../../support/cluster-kube';
import { BROKER_HEADLESS, BROKER_STS } from '../../support/node-agent/cp-release';
import { filesFromSecret, fingerprint } from '../../../src/tls';
import { passwordsFromFiles } from '../../../src/tls/passwords';
import { decodeKeystore } from '../../../src/tls/pkcs12';
import type { ClientMaterial } from '../kafka/harness/tls-material';
import { CHART_VALUES, RollScenario, WARDEN, withRollGate } from './harness/scenario';

const NAMESPACE = 'rolls-renewal';
const BROKER_SECRET = `${BROKER_STS}-broker-tls`;
const CLIENT_SECRET = `${BROKER_STS}-client-tls`;
const SECRET_PATH = `/api/v1/namespaces/${NAMESPACE}/secrets/${BROKER_SECRET}`;
const STS_PATH = `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/${BROKER_STS}`;
const HASH = 'kafka-warden.io/tls-content-hash';
const ROLL_PENDING = 'kafka-warden.io/tls-roll-pending';
const DAY_MS = 86_400_000;

interface Leaf {
  /** SHA-256 of the DER certificate, lowercase hex. */
  fingerprint: string;
  notAfter: Date;
}

async function brokerSecret(scenario: RollScenario): Promise<KubeObj> {
  const secret = await get(scenario.cluster.cp, SECRET_PATH);
  if (!secret) throw new Error(`Secret ${NAMESPACE}/${BROKER_SECRET} is gone`);
  return secret;
}

/** The broker certificate in a Secret's keystore. */
function leafOf(secret: KubeObj): Leaf {
  const files = filesFromSecret(secret, BROKER_SECRET);
  const { keystore } = passwordsFromFiles(files, BROKER_SECRET);
  const [leaf] = decodeKeystore(
    files['kafka.keystore.p12'] as Buffer,
    keystore,
    BROKER_SECRET,
  ).chain;
  if (!leaf) throw new Error(`${BROKER_SECRET}: no certificate in the keystore`);
  return { fingerprint: fingerprint(leaf), notAfter: leaf.validity.notAfter };
}

/** The certificate broker `ordinal` presents on its TLS listener, verified against the CA and its
 * advertised name with the release's client certificate (the listener requires one). Bounded. */
function servedBy(scenario: RollScenario, ordinal: number, client: ClientMaterial): Promise<Leaf> {
  const pod = `${BROKER_STS}-${ordinal}`;
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      {
        host: scenario.cluster.agent.podAddress(NAMESPACE, pod),
        port: 9093,
        servername: `${pod}.${BROKER_HEADLESS}.${NAMESPACE}`,
        ca: client.caPem,
        key: client.keyPem,
        cert: client.certificatePem,
        timeout: 15_000,
      },
      () => {
        const peer = socket.getPeerCertificate();
        socket.destroy();
        resolve({
          fingerprint: createHash('sha256').update(peer.raw).digest('hex'),
          notAfter: new Date(peer.valid_to),
        });
      },
    );
    socket.once('timeout', () => socket.destroy(new Error(`${pod}:9093: TLS handshake timed out`)));
    socket.once('error', reject);
  });
}

async function servedByEvery(scenario: RollScenario): Promise<Leaf[]> {
  const client = scenario.release.material?.client;
  if (!client) throw new Error('no client certificate: the release is not kafka-warden');
  return Promise.all([0, 1, 2].map((ordinal) => servedBy(scenario, ordinal, client)));
}

async function templateHash(scenario: RollScenario): Promise<string | undefined> {
  const res = await apiRequest<{
    spec: { template: { metadata?: { annotations?: Record<string, string> } } };
  }>(scenario.cluster.cp, 'GET', STS_PATH);
  return res.body.spec.template.metadata?.annotations?.[HASH];
}

test('the issuer renews a broker certificate inside its renewal window and rolls the brokers onto it: gated, under load, no send failed, no second below min ISR, nothing lost, the renewed certificate served', async () => {
  const scenario = await RollScenario.start({
    namespace: NAMESPACE,
    warden: withRollGate({ ...WARDEN, tls: { contentHash: null } }),
    set: CHART_VALUES,
    issuer: true,
  });
  try {
    const ca = scenario.release.material?.ca;
    if (!ca) throw new Error('no CA: the release is not kafka-warden');
    const { cp } = scenario.cluster;
    const issued = leafOf(await brokerSecret(scenario));
    // Before: every broker serves what the release was installed with, and the pod template has
    // no hash (nobody has written one yet).
    expect((await servedByEvery(scenario)).map((l) => l.fingerprint)).toEqual(
      Array(3).fill(issued.fingerprint),
    );
    expect(await templateHash(scenario)).toBeUndefined();

    let shortLivedHash = '';
    let renewedHash = '';
    const roll = await scenario.roll('certificate renewal, rolled by the issuer', async () => {
      shortLivedHash = await forceIntoRenewalWindow(cp, NAMESPACE, BROKER_STS, ca);
      // Nothing rolls until the issuer's next pass has renewed the Secret and patched the pod
      // template; waiting for that here keeps the roll's wait from finding the old revision done.
      renewedHash = await eventually(
        "the issuer's renewal and the pod template patched with its hash",
        async () => {
          const secret = await get(cp, SECRET_PATH);
          const hash = secret?.metadata.annotations?.[HASH];
          return hash &&
            hash !== shortLivedHash &&
            secret.metadata.annotations?.[ROLL_PENDING] === undefined &&
            (await templateHash(scenario)) === hash
            ? hash
            : undefined;
        },
        120_000,
        1_000,
      );
    });
    const [result] = await scenario.finish([roll]);
    if (!result) throw new Error('no result');

    expect(result.gated).toBe(true);
    expect(result.brokersTerminated).toBe(3);
    expect(result.sent).toBeGreaterThan(100);
    expect(result.failedSends).toBe(0);
    expect(result.belowMinIsrSeconds).toBe(0);
    expect(result.minIsrSeen).toBeGreaterThanOrEqual(2);
    expect(result.lost).toBe(0);
    expect(result.duplicated).toBe(0);

    // The issuer renewed the broker Secret once, because it was expiring, rolled once with its
    // hash, and left the client Secret (still current) alone.
    const logs = scenario.serveLogLines();
    const about = (msg: string, secret: string) =>
      logs.filter((l) => l.msg === msg && l.namespace === NAMESPACE && l.secret === secret);
    expect(about('renewed', BROKER_SECRET).map((l) => l.reason)).toEqual(['expiring']);
    expect(about('renewed', CLIENT_SECRET)).toEqual([]);
    expect(about('issued', BROKER_SECRET)).toEqual([]);
    const rolls = logs.filter(
      (l) =>
        l.msg === 'rolling the brokers onto the renewed Secret' && l.statefulset === BROKER_STS,
    );
    expect(rolls.map((l) => l.hash)).toEqual([renewedHash]);

    // The Secret still holds what the roll was for, and the template and every broker pod carry
    // its hash: the pods running now were created from the patched template.
    const renewedSecret = await brokerSecret(scenario);
    expect(renewedSecret.metadata.annotations?.[HASH]).toBe(renewedHash);
    expect(await templateHash(scenario)).toBe(renewedHash);
    const pods = await list(
      cp,
      `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=app%3Dcp-kafka`,
    );
    expect(pods.map((p) => p.metadata.annotations?.[HASH])).toEqual(Array(3).fill(renewedHash));

    // Renewed: a new certificate, lasting far beyond the 10-day one it replaced, and it is the one
    // every broker presents (verified against the unchanged CA, under the broker's own name).
    const renewed = leafOf(renewedSecret);
    expect(renewed.fingerprint).not.toBe(issued.fingerprint);
    expect(renewed.notAfter.getTime()).toBeGreaterThan(Date.now() + 30 * DAY_MS);
    const served = await servedByEvery(scenario);
    expect(served.map((l) => l.fingerprint)).toEqual(Array(3).fill(renewed.fingerprint));
    for (const leaf of served) {
      expect(leaf.notAfter.getTime()).toBeGreaterThan(Date.now() + 30 * DAY_MS);
    }
  } finally {
    await scenario.stop();
  }
}, 1_800_000);
