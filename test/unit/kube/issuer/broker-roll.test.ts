/**
 * The roll after a renewal (src/kube/issuer/broker-roll.ts, as the issuer runs it): when the issuer
 * patches the broker StatefulSet's pod template, with what, and how it behaves when the patch is
 * refused or another replica does it first. The pure decisions: decide-roll.test.ts.
 */
import { ROLL_PENDING_ANNOTATION } from '../../../../src/kube/issuer/decide-roll';
import {
  annotation,
  BROKER,
  brokerStatefulSet,
  CLIENT,
  cluster,
  FakeApi,
  HASH,
  issuer,
  log,
  logLines,
  STS,
  type Obj,
} from './fake-kube';

const DAY = 24 * 60 * 60 * 1000;

/** An issuer whose clock stands `days` ahead: the material issued today is then due. */
const later = (api: FakeApi, days: number, intervalMs?: number) =>
  issuer(api, {
    clock: () => new Date(Date.now() + days * DAY),
    ...(intervalMs === undefined ? {} : { intervalMs }),
  });
/**
 * An issuer whose clock stands still `days` ahead until moved: the roll backoff reads the issuer's
 * clock, so its waits are stepped over instead of slept through (a loaded machine cannot stretch them).
 */
function heldLater(api: FakeApi, days: number, intervalMs: number) {
  let now = Date.now() + days * DAY;
  const held = issuer(api, { clock: () => new Date(now), intervalMs });
  return Object.assign(held, { advance: (ms: number) => void (now += ms) });
}
const templateOf = (api: FakeApi) =>
  (
    (api.objects.get(STS) as Obj).spec as {
      template: { metadata: { annotations?: Record<string, string> } };
    }
  ).template.metadata.annotations?.[HASH];
const generationOf = (api: FakeApi) => api.objects.get(STS)?.metadata.generation;
const patches = (api: FakeApi) => api.writes.filter((w) => w.startsWith('PATCH'));

describe('the issuer', () => {
  test('first issuance and passes that change nothing never patch the StatefulSet', async () => {
    const api = await cluster(3650);
    await issuer(api).reconcile();
    await issuer(api).reconcile();
    expect(patches(api)).toEqual([]);
    expect(annotation(api, BROKER, ROLL_PENDING_ANNOTATION)).toBeUndefined();
    expect(templateOf(api)).toBeUndefined();
  }, 30_000);

  test('a renewal marks the Secret, patches the template with its hash (merge patch) and clears the mark', async () => {
    const api = await cluster(3650);
    await issuer(api).reconcile();
    const issued = annotation(api, BROKER, HASH);
    await later(api, 340).reconcile();
    const renewed = annotation(api, BROKER, HASH);
    expect(renewed).not.toBe(issued);
    expect(
      api.writes.filter(
        (w) => !w.startsWith('POST') && (w.includes('broker-tls') || w.includes('statefulsets')),
      ),
    ).toEqual([
      `PUT ${BROKER}`, // the renewal, marked
      `PATCH ${STS}`,
      `PUT ${BROKER}`, // the mark cleared
    ]);
    expect(api.patchTypes).toEqual(['application/merge-patch+json']);
    expect(templateOf(api)).toBe(renewed);
    expect(generationOf(api)).toBe(2);
    expect(annotation(api, BROKER, ROLL_PENDING_ANNOTATION)).toBeUndefined();
    // The renewal's log line and the roll's, with no material in them.
    const rolled = logLines('rolling the brokers onto the renewed Secret').at(-1);
    expect(rolled).toMatchObject({
      namespace: 'kafka',
      statefulset: 'my-cp-cp-kafka',
      hash: renewed,
    });
    // Nothing more to do on the next pass.
    const writes = api.writes.length;
    await later(api, 340).reconcile();
    expect(api.writes).toHaveLength(writes);
  }, 30_000);

  test('a client Secret renewal does not roll the brokers (they do not mount it)', async () => {
    const api = await cluster(3650);
    await issuer(api).reconcile();
    const client = api.objects.get(CLIENT) as Obj;
    (client.data as Record<string, string>)['truststore-credentials'] =
      Buffer.from('x').toString('base64');
    await issuer(api).reconcile();
    expect(api.writes.filter((w) => !w.startsWith('POST'))).toEqual([`PUT ${CLIENT}`]);
    expect(annotation(api, CLIENT, ROLL_PENDING_ANNOTATION)).toBeUndefined();
  }, 30_000);

  test("two replicas: the other one rolls first; this one's patch, conditional on what it read, is refused, and it converges", async () => {
    const api = await cluster(3650);
    await issuer(api).reconcile();
    const other = later(api, 340);
    // The other replica sees the mark and does the whole roll between this one's renewal and patch.
    api.beforeNext('PATCH', () => other.reconcile());
    await later(api, 340).reconcile();
    // Two attempts, one write: this replica's patch carried the resourceVersion it had read (409),
    // so it re-read the StatefulSet, found the hash in place and did not patch (nor report) again.
    expect(api.patchTypes).toHaveLength(2);
    expect(patches(api)).toEqual([`PATCH ${STS}`]);
    // One template change, one new revision.
    expect(generationOf(api)).toBe(2);
    expect(templateOf(api)).toBe(annotation(api, BROKER, HASH));
    expect(annotation(api, BROKER, ROLL_PENDING_ANNOTATION)).toBeUndefined();
  }, 30_000);

  test('renewed again while a replica patches an older hash: the template ends on the current one', async () => {
    const api = await cluster(3650);
    await issuer(api).reconcile();
    // A roll is pending (say, a renewal whose patch was refused until now).
    const broker = api.objects.get(BROKER) as Obj;
    const older = broker.metadata.annotations?.[HASH] as string;
    api.put(BROKER, {
      ...broker,
      metadata: {
        ...broker.metadata,
        annotations: { ...broker.metadata.annotations, [ROLL_PENDING_ANNOTATION]: older },
      },
    });
    // Between this replica's read of the mark and its patch, the other replica renews (a scale-up:
    // names-missing), patches the new hash and clears the mark. This replica's patch is then stale.
    const other = issuer(api);
    api.beforeNext('PATCH', async () => {
      api.put(STS, brokerStatefulSet(5));
      await other.reconcile();
    });
    await issuer(api).reconcile();
    const current = annotation(api, BROKER, HASH);
    expect(current).not.toBe(older);
    // The other's patch, this one's stale patch, and this one's correction after its clear failed.
    expect(patches(api)).toHaveLength(3);
    expect(templateOf(api)).toBe(current);
    expect(annotation(api, BROKER, ROLL_PENDING_ANNOTATION)).toBeUndefined();
  }, 30_000);

  test('a refused patch keeps the mark, logs why, backs off instead of spinning, and succeeds later', async () => {
    const api = await cluster(3650);
    await issuer(api).reconcile();
    const denial =
      'admission webhook "policy.kafka-warden.io" denied the request: 2 partitions are under-replicated';
    api.refuse('PATCH', STS, 403, denial);
    const one = heldLater(api, 340, 1500);
    await one.reconcile();
    one.advance(1499);
    await one.reconcile();
    await one.reconcile();
    expect(patches(api)).toEqual([]); // refused requests are not stored writes
    expect(api.patchTypes).toHaveLength(1); // one attempt, then backoff
    expect(annotation(api, BROKER, ROLL_PENDING_ANNOTATION)).toBe(annotation(api, BROKER, HASH));
    const refused = logLines(
      'the patch that rolls the brokers onto the renewed Secret was refused; retrying later',
    ).at(-1);
    expect(refused).toMatchObject({ status: 403, problem: `HTTP 403: ${denial}` });
    expect(typeof refused?.retryAt).toBe('string');

    // After the backoff, still refused: the next delay doubles.
    one.advance(1);
    await one.reconcile();
    expect(api.patchTypes).toHaveLength(2);
    one.advance(2999);
    await one.reconcile();
    expect(api.patchTypes).toHaveLength(2);
    one.advance(1);
    await one.reconcile();
    expect(api.patchTypes).toHaveLength(3);

    // The reason goes away; a restarted replica (no backoff in memory) finds the mark and rolls.
    api.clearRefusals();
    await later(api, 340, 1500).reconcile();
    expect(templateOf(api)).toBe(annotation(api, BROKER, HASH));
    expect(annotation(api, BROKER, ROLL_PENDING_ANNOTATION)).toBeUndefined();
    expect(log.text).not.toMatch(/PRIVATE KEY/);
  }, 30_000);

  test('a changed StatefulSet spec (new generation) is retried without waiting for the backoff', async () => {
    const api = await cluster(3650);
    await issuer(api).reconcile();
    api.refuse('PATCH', STS, 403, 'denied: updateStrategy OnDelete');
    const one = heldLater(api, 340, 60_000);
    await one.reconcile();
    expect(api.patchTypes).toHaveLength(1);
    api.clearRefusals();
    const sts = api.objects.get(STS) as Obj;
    api.put(STS, { ...sts, metadata: { ...sts.metadata, generation: 5 } });
    await one.reconcile();
    expect(api.patchTypes).toHaveLength(2);
    expect(templateOf(api)).toBe(annotation(api, BROKER, HASH));
  }, 30_000);
});
