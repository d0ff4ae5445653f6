/**
 * The roll after a renewal (src/kube/broker-roll.ts and the issuer's use of it): when the issuer
 * patches the broker StatefulSet's pod template, with what, and how it behaves when the patch is
 * refused or another replica does it first.
 */
import { emptyStatus, STATUS_ANNOTATION } from '../../../src/core/injection-status';
import {
  pendingRoll,
  planRoll,
  ROLL_PENDING_ANNOTATION,
  RollBackoff,
  templateHashPatch,
  withoutRollMark,
} from '../../../src/kube/broker-roll';
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
const managedBroker = (annotations: Record<string, string>) => ({
  metadata: {
    labels: { 'app.kubernetes.io/managed-by': 'kafka-warden' },
    annotations: { 'kafka-warden.io/tls-kind': 'broker', [HASH]: 'h2', ...annotations },
  },
});

describe('pure decisions', () => {
  test('pendingRoll: the content hash of a managed broker Secret that carries the mark, else null', () => {
    expect(pendingRoll(managedBroker({ [ROLL_PENDING_ANNOTATION]: 'h2' }))).toBe('h2');
    expect(pendingRoll(managedBroker({}))).toBeNull();
    const client = managedBroker({
      [ROLL_PENDING_ANNOTATION]: 'h2',
      'kafka-warden.io/tls-kind': 'client',
    });
    expect(pendingRoll(client)).toBeNull();
    const foreign = {
      metadata: {
        annotations: managedBroker({ [ROLL_PENDING_ANNOTATION]: 'h2' }).metadata.annotations,
      },
    };
    expect(pendingRoll(foreign)).toBeNull();
  });

  test('the patch sets the pod template annotation and nothing else', () => {
    expect(templateHashPatch('abc')).toEqual({
      spec: {
        template: { metadata: { annotations: { 'kafka-warden.io/tls-content-hash': 'abc' } } },
      },
    });
  });

  test('planRoll: no patch when the template already carries the hash', () => {
    const sts = brokerStatefulSet();
    expect(planRoll(sts, 'h1').patch).toEqual(templateHashPatch('h1'));
    const spec = sts.spec as { template: { metadata: { annotations?: Record<string, string> } } };
    spec.template.metadata.annotations = { ...spec.template.metadata.annotations, [HASH]: 'h1' };
    expect(planRoll(sts, 'h1').patch).toBeNull();
    expect(planRoll(sts, 'h2').patch).toEqual(templateHashPatch('h2'));
  });

  test('planRoll: says when the controller will not restart every broker by itself', () => {
    const onDelete = brokerStatefulSet();
    (onDelete.spec as Record<string, unknown>).updateStrategy = { type: 'OnDelete' };
    expect(planRoll(onDelete, 'h').caveats).toEqual([expect.stringContaining('OnDelete')]);
    const staged = brokerStatefulSet();
    (staged.spec as Record<string, unknown>).updateStrategy = {
      type: 'RollingUpdate',
      rollingUpdate: { partition: 2 },
    };
    expect(planRoll(staged, 'h').caveats).toEqual([expect.stringContaining('partition 2')]);
    expect(planRoll(brokerStatefulSet(), 'h').caveats).toEqual([]);
  });

  test('planRoll: notices a release that writes the annotation itself (tls.contentHash)', () => {
    const sts = brokerStatefulSet();
    const meta = (sts.spec as { template: { metadata: { annotations?: Record<string, string> } } })
      .template.metadata;
    // A whole record, as kafka-warden writes it: a partial one is read as none.
    const status = (annotations: string[]) =>
      JSON.stringify({ ...emptyStatus('kafka'), annotations });
    meta.annotations = { ...meta.annotations, [STATUS_ANNOTATION]: status([HASH]) };
    expect(planRoll(sts, 'h').writtenByRelease).toBe(true);
    meta.annotations[STATUS_ANNOTATION] = status([]);
    expect(planRoll(sts, 'h').writtenByRelease).toBe(false);
  });

  test('withoutRollMark drops the mark only, keeping the resourceVersion for the precondition', () => {
    const secret = {
      metadata: {
        resourceVersion: '7',
        annotations: { [ROLL_PENDING_ANNOTATION]: 'h', other: 'kept' },
      },
      data: { a: 'b' },
    };
    expect(withoutRollMark(secret)).toEqual({
      metadata: { resourceVersion: '7', annotations: { other: 'kept' } },
      data: { a: 'b' },
    });
    expect(secret.metadata.annotations[ROLL_PENDING_ANNOTATION]).toBe('h');
  });

  test('RollBackoff doubles up to its cap, and a new generation may retry at once', () => {
    const backoff = new RollBackoff(1000, 4000);
    expect(backoff.remaining('k', 1, 0)).toBe(0);
    expect(backoff.refused('k', 1, 0).getTime()).toBe(1000);
    expect(backoff.remaining('k', 1, 400)).toBe(600);
    expect(backoff.refused('k', 1, 1000).getTime()).toBe(3000);
    expect(backoff.refused('k', 1, 3000).getTime()).toBe(7000);
    expect(backoff.refused('k', 1, 7000).getTime()).toBe(11_000);
    expect(backoff.remaining('k', 2, 7000)).toBe(0);
    expect(backoff.refused('k', 2, 7000).getTime()).toBe(8000);
    backoff.succeeded('k');
    expect(backoff.remaining('k', 2, 7000)).toBe(0);
  });
});

/** An issuer whose clock stands `days` ahead: the material issued today is then due. */
const later = (api: FakeApi, days: number, intervalMs?: number) =>
  issuer(api, {
    clock: () => new Date(Date.now() + days * DAY),
    ...(intervalMs === undefined ? {} : { intervalMs }),
  });
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
    const one = later(api, 340, 1500);
    await one.reconcile();
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
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await one.reconcile();
    expect(api.patchTypes).toHaveLength(2);
    await one.reconcile();
    expect(api.patchTypes).toHaveLength(2);

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
    const one = later(api, 340, 60_000);
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
