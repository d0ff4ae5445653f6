/**
 * The roll's pure decisions (src/kube/issuer/decide-roll.ts): whether a broker Secret asks for a
 * roll, the patch, what the controller will and will not do with it, and the backoff after a
 * refusal. broker-roll.test.ts runs the roll against an in-memory API.
 */
import { emptyStatus, STATUS_ANNOTATION } from '../../../../src/core/injection-status';
import {
  nextRollStep,
  pendingRoll,
  planRoll,
  ROLL_PENDING_ANNOTATION,
  RollBackoff,
  templateHashPatch,
  withoutRollMark,
} from '../../../../src/kube/issuer/decide-roll';
import { brokerStatefulSet, HASH } from './fake-kube';

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

  test('nextRollStep: the marked hash, then only a hash renewed after our own patch', () => {
    const marked = managedBroker({ [ROLL_PENDING_ANNOTATION]: 'h2' });
    expect(nextRollStep(marked, undefined)).toEqual({ hash: 'h2', marked: true });
    // Patched already in this roll, the clear lost its race: clear again, no second patch.
    expect(nextRollStep(marked, 'h2')).toEqual({ hash: 'h2', marked: true });
    const unmarked = managedBroker({});
    // Nothing marked and nothing patched: no roll, whatever the hash.
    expect(nextRollStep(unmarked, undefined)).toBeNull();
    // Cleared by another replica after our patch of this very hash: done.
    expect(nextRollStep(unmarked, 'h2')).toBeNull();
    // Renewed again (and cleared by the other replica) after our patch of an older hash: the
    // template must not keep the stale one.
    expect(nextRollStep(unmarked, 'h1')).toEqual({ hash: 'h2', marked: false });
    // Not kafka-warden's broker Secret: its mark means nothing.
    const client = managedBroker({
      [ROLL_PENDING_ANNOTATION]: 'h2',
      'kafka-warden.io/tls-kind': 'client',
    });
    expect(nextRollStep(client, undefined)).toBeNull();
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
