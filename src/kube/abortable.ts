import { describeFailure, untilAborted } from '../async/deadline';

/**
 * Bounds a client-node call by an AbortSignal (the client takes none), and recognises its 404s.
 * The admission path never waits on the API server past the deadline its caller set.
 */
export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: number }).code === 404;
}

/** `promise`, or a rejection naming `what` as soon as `signal` aborts (the call itself runs on). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return untilAborted(promise, signal).catch((error: unknown) => {
    if (!signal.aborted) throw error;
    throw new Error(`${what} aborted: ${describeFailure(signal.reason)}`);
  });
}
