/**
 * Time for certificates. Every function that needs "now" takes it (or a Clock) from its caller, so
 * tests pin the date and a controller can ask "due at this moment?" without waiting for it.
 */

import { WardenError } from '../core/errors';

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** Leaf certificates (brokers, clients): a year, renewed a month before expiry. */
export const DEFAULT_LEAF_DAYS = 365;
export const DEFAULT_RENEW_BEFORE_DAYS = 30;
/** The CA outlives many leaf renewals; its own rotation is the slow, overlapped procedure. */
export const DEFAULT_CA_DAYS = 1825;

/**
 * notBefore lies this far in the past: a node whose clock runs a little behind the issuer's would
 * otherwise reject a certificate issued a moment ago as "not yet valid".
 */
export const BACKDATE_MS = 5 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** `days` of validity counted from `now`, backdated by BACKDATE_MS; never beyond `limit`. */
export function validityFrom(now: Date, days: number, limit?: Date): Validity {
  // Certificates hold whole seconds: dropping the milliseconds here keeps what the Secret
  // annotations record equal to what the certificate says.
  const start = Math.floor(now.getTime() / 1000) * 1000;
  const notBefore = new Date(start - BACKDATE_MS);
  const wanted = new Date(start + days * DAY_MS);
  // A leaf that outlives its CA would be unverifiable for the rest of its life; ending it with the
  // CA makes it fall due for renewal in time, which is the prompt to rotate the CA.
  const notAfter = limit && limit.getTime() < wanted.getTime() ? new Date(limit) : wanted;
  return { notBefore, notAfter };
}

/** The moment from which a certificate ending at `notAfter` is due for renewal. */
export function renewalStart(notAfter: Date, renewBeforeDays: number): Date {
  return new Date(notAfter.getTime() - renewBeforeDays * DAY_MS);
}

export function isValidAt(validity: Validity, now: Date): boolean {
  return (
    now.getTime() >= validity.notBefore.getTime() && now.getTime() <= validity.notAfter.getTime()
  );
}

/** Day counts from the command line or an API caller: whole, positive, at most 100 years. */
export function checkDayCount(days: number): void {
  if (!Number.isInteger(days) || days <= 0 || days > 36500) {
    throw new WardenError('KW_TLS_INPUT', `validity must be 1 to 36500 whole days, not ${days}`);
  }
}
