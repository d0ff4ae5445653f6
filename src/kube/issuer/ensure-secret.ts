/**
 * One broker or components Secret made to exist and be current: read it, decide
 * (decide-secret.ts), create or replace it; a lost race reads and decides again
 * (conflict-retry.ts), so two replicas converge on one keystore and nothing is rotated twice.
 */
import { ANNOTATIONS } from '../../tls';
import { readObject, secretPath, type SecretObject } from './api';
import { CONFLICT, retryOnConflict } from './conflict-retry';
import type { EnsureResult, IssuerContext } from './context';
import { decideSecret, renewedSecret } from './decide-secret';
import type { LoadedCa } from './gather';
import { newSecret, trustedCas } from './material';
import type { SecretTarget } from './targets';
import { createSecret, replaceSecret } from './writes';

export interface EnsureOutcome {
  result: EnsureResult;
  /** The Secret as last read or written, when there is one (a roll starts from it). */
  secret?: SecretObject;
}

/** The answer says who did the work. Throws on anything but a lost race. */
export async function ensureSecret(
  context: IssuerContext,
  target: SecretTarget,
  ca: LoadedCa,
): Promise<EnsureOutcome> {
  const { api, clock, logger, reports } = context;
  const path = secretPath(target.namespace, target.name);
  const where = { namespace: target.namespace, secret: target.name, kind: target.kind };
  return retryOnConflict(async (lostRace) => {
    const current = await readObject<SecretObject>(api, path);
    const decision = decideSecret(current, {
      ca,
      subjectAltNames: target.subjectAltNames,
      now: clock(),
      renewBeforeDays: context.renewBeforeDays,
    });

    if (decision.action === 'issue' || current === null) {
      const manifest = await newSecret(target, ca.signing, [], clock);
      const created = await createSecret(api, target.namespace, manifest);
      if (created === CONFLICT) {
        // Another replica created it between our read and our create: use theirs.
        logger.info(where, 'created by another replica first; reading it back');
        return CONFLICT;
      }
      logger.info(
        { ...where, notAfter: manifest.metadata.annotations[ANNOTATIONS.notAfter] },
        'issued',
      );
      return { result: 'issued', secret: created };
    }

    if (decision.action === 'keep') {
      reports.problem(`${target.namespace}/${target.name}`, where, decision.problem);
      if (decision.result === 'not-managed') return { result: 'not-managed' };
      const result = decision.result === 'current' && lostRace ? 'adopted' : decision.result;
      return { result, secret: current };
    }

    const manifest = await newSecret(target, ca.signing, trustedCas(current, clock()), clock);
    const replaced = await replaceSecret(api, path, renewedSecret(current, manifest, target.kind));
    if (replaced === CONFLICT) {
      // Changed since we read it (another replica renewed it): read again and decide again.
      logger.info({ ...where, reason: decision.reason }, 'changed concurrently; re-reading');
      return CONFLICT;
    }
    logger.info(
      {
        ...where,
        reason: decision.reason,
        previousNotAfter: decision.previousNotAfter?.toISOString() ?? null,
        notAfter: manifest.metadata.annotations[ANNOTATIONS.notAfter],
      },
      'renewed',
    );
    return { result: 'renewed', secret: replaced };
  });
}
