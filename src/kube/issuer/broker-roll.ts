/**
 * The roll after a renewal (docs/design.md, "The roll after a renewal"): the issuer makes the
 * StatefulSet controller restart the brokers onto a renewed broker Secret by changing one pod
 * template annotation; it never deletes a pod. The decisions are pure, in decide-roll.ts; this file
 * runs them. For one broker StatefulSet, after the pass ensured its broker Secret:
 *
 *   secret      := the broker Secret as the pass last read or wrote it
 *   patchedWith := nothing                                  (the hash this roll wrote, if any)
 *   retry on conflict (conflict-retry.ts, at most 4 attempts):
 *     if secret is unknown: read it
 *     step := nextRollStep(secret, patchedWith)             (the roll mark's hash, or the hash of a
 *     if there is no step: done                              renewal after our own patch)
 *     if step.hash != patchedWith:
 *       plan := planRoll(statefulSet, step.hash)
 *       if the template carries step.hash already: count "already"   (another replica patched)
 *       else:
 *         if a refusal's backoff runs for this generation of the StatefulSet: done, for now
 *         PATCH the template's hash annotation, conditional on the StatefulSet's resourceVersion
 *           conflict:   read the StatefulSet again; next attempt     (the other replica patched)
 *           refused:    back off, keep the mark; done                (a validating webhook, RBAC)
 *           rewritten:  back off; done                               (a mutating webhook wrote its
 *                                                                     own hash over ours)
 *           patched:    the controller rolls one broker at a time; log the plan's caveats
 *       patchedWith := step.hash
 *     if the Secret carries no mark: done
 *     PUT the Secret without the mark, conditional on its resourceVersion
 *       conflict:   forget the Secret (renewed again?); next attempt
 *       written:    done
 *
 * Two replicas converge: the patch is the same value from both (the hash is a function of the
 * stored Secret) and conditional, so only one reports the roll; the loser of the clear re-reads.
 */
import type { KubeObject } from '../../core/k8s-types';
import { statusMessage } from '../kube-api';
import { readExisting, secretPath, statefulSetPath, type SecretObject } from './api';
import { CONFLICT, retryOnConflict, type Conflict } from './conflict-retry';
import type { IssuerContext } from './context';
import {
  nextRollStep,
  planRoll,
  RollBackoff,
  templateHash,
  withoutRollMark,
  type RollPlan,
  type TemplateHashPatch,
} from './decide-roll';
import type { SecretTarget } from './targets';
import { patchStatefulSet, replaceSecret } from './writes';

/** A refused roll patch is retried after the pass interval, doubling up to this. */
const MAX_ROLL_BACKOFF_MS = 5 * 60_000;

/** A type, not an interface: the logger takes it as a record. */
type RollWhere = { namespace: string; statefulset: string; secret: string };

export class BrokerRoll {
  private readonly backoff: RollBackoff;

  constructor(
    private readonly context: IssuerContext,
    intervalMs: number,
  ) {
    this.backoff = new RollBackoff(intervalMs, MAX_ROLL_BACKOFF_MS);
  }

  /** Rolls the brokers when the broker Secret carries the roll mark; throws on API failures. */
  async rollIfPending(
    statefulSet: KubeObject,
    target: SecretTarget,
    known: SecretObject,
  ): Promise<void> {
    const { api, metrics } = this.context;
    const path = secretPath(target.namespace, target.name);
    const where = { namespace: target.namespace, statefulset: target.cluster, secret: target.name };
    let secret: SecretObject | undefined = known;
    let sts = statefulSet;
    let patchedWith: string | undefined;
    await retryOnConflict<void>(async () => {
      secret ??= await readExisting<SecretObject>(api, path);
      const step = nextRollStep(secret, patchedWith);
      if (!step) return;
      if (step.hash !== patchedWith) {
        const plan = planRoll(sts, step.hash);
        if (plan.patch) {
          const patched = await this.patchTemplate(sts, plan, plan.patch, where);
          if (patched === CONFLICT) {
            sts = await readExisting<KubeObject>(
              api,
              statefulSetPath(target.namespace, target.cluster),
              're-reading the StatefulSet failed',
            );
            return CONFLICT;
          }
          if (!patched) return;
          sts = patched;
        } else {
          metrics.rolls.inc({ result: 'already' });
        }
        patchedWith = step.hash;
      }
      if (!step.marked) return;
      const cleared = await replaceSecret(
        api,
        path,
        withoutRollMark(secret),
        'clearing the roll mark failed',
      );
      if (cleared === CONFLICT) {
        secret = undefined;
        return CONFLICT;
      }
    }, 'on the roll mark');
  }

  /**
   * The patch and what came of it: the StatefulSet as stored when the controller will roll,
   * CONFLICT when it changed since it was read, undefined when the roll waits (backoff, refused,
   * rewritten on admission).
   */
  private async patchTemplate(
    sts: KubeObject,
    plan: RollPlan,
    patch: TemplateHashPatch,
    where: RollWhere,
  ): Promise<KubeObject | Conflict | undefined> {
    const { api, clock, logger, metrics, reports } = this.context;
    // The issuer's clock, as for certificate validity: the backoff is then testable without sleeps.
    const now = () => clock().getTime();
    const key = `${where.namespace}/${where.statefulset}`;
    const generation = sts.metadata?.generation;
    const waitMs = this.backoff.remaining(key, generation, now());
    if (waitMs > 0) {
      logger.debug({ ...where, waitMs }, 'roll still backing off');
      return undefined;
    }
    // Conditional on the StatefulSet as read: two replicas that both saw the old hash must not both
    // report (and count) the roll; the loser re-reads and finds it done.
    const outcome = await patchStatefulSet(
      api,
      { namespace: where.namespace, name: where.statefulset },
      sts.metadata?.resourceVersion,
      patch,
    );
    if (outcome === CONFLICT) return CONFLICT;
    if ('refused' in outcome) {
      const retryAt = this.backoff.refused(key, generation, now());
      metrics.rolls.inc({ result: 'refused' });
      // The API server's message carries the refusing webhook's reason (e.g. a rule that waits
      // for under-replicated partitions) or the RBAC denial.
      logger.warn(
        {
          ...where,
          status: outcome.refused.status,
          problem: statusMessage(outcome.refused),
          retryAt: retryAt.toISOString(),
        },
        'the patch that rolls the brokers onto the renewed Secret was refused; retrying later',
      );
      return undefined;
    }
    const stored = outcome.patched;
    if (templateHash(stored) !== plan.hash) {
      // A mutating webhook with --mutate-statefulsets and tls.contentHash set writes its own value
      // over ours: the controller saw no change. Retrying would not help.
      this.backoff.refused(key, stored.metadata?.generation, now());
      metrics.rolls.inc({ result: 'overwritten' });
      logger.error(
        { ...where, stored: templateHash(stored) ?? null },
        'the pod template hash was rewritten on admission (tls.contentHash in the webhook ' +
          'configuration?); the brokers do not roll. Keep tls.contentHash null where the issuer runs',
      );
      return undefined;
    }
    this.backoff.succeeded(key);
    metrics.rolls.inc({ result: 'patched' });
    logger.info(
      { ...where, hash: plan.hash, generation: stored.metadata?.generation ?? null },
      'rolling the brokers onto the renewed Secret',
    );
    for (const caveat of plan.caveats) logger.warn({ ...where, caveat }, caveat);
    if (plan.writtenByRelease) {
      reports.warn(
        `${key}/release-hash`,
        where,
        'tls.contentHash in the release also writes the pod template hash: the next helm ' +
          'upgrade writes its value back (one more roll onto the same material). Set ' +
          'tls.contentHash: null where the issuer runs (docs/tls.md)',
      );
    }
    return stored;
  }
}
