/**
 * The one retry-on-conflict loop every write of the issuer goes through (Kubernetes' optimistic
 * concurrency, as client-go's `retry.RetryOnConflict`). Several replicas of serve run the issuer at
 * once, so every write is conditional: a create fails with 409 AlreadyExists when another replica
 * created the object first, an update or patch carrying the resourceVersion it read fails with 409
 * Conflict when someone changed the object since. Either way the attempt that lost reads again and
 * decides again: whatever the winner wrote may already be what was wanted, and nothing is rotated
 * twice.
 */

/** A write that loses this many races in a row waits for the next pass. */
export const MAX_ATTEMPTS = 4;

/** What an attempt answers when its write lost a race (HTTP 409): read again, decide again. */
export const CONFLICT = Symbol('conflict');
export type Conflict = typeof CONFLICT;

/**
 * Runs `attempt` (read, decide, write) until it answers something other than CONFLICT, at most
 * MAX_ATTEMPTS times. `lostRace` tells an attempt that an earlier one lost: what it reads was then
 * written by someone else (the result is "adopted", not "current"). `what` ends the error message
 * after the last lost race.
 */
export async function retryOnConflict<T>(
  attempt: (lostRace: boolean) => Promise<T | Conflict>,
  what = '',
): Promise<T> {
  for (let tried = 0; tried < MAX_ATTEMPTS; tried++) {
    const result = await attempt(tried > 0);
    if (result !== CONFLICT) return result;
  }
  throw new Error(`lost ${MAX_ATTEMPTS} races in a row${what ? ` ${what}` : ''}; next pass`);
}
