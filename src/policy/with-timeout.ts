/**
 * Bounds a lookup in time. An admission webhook has at most 30 s (10 s by default) for its whole
 * answer, so every call to the cluster or to Kafka gets its own deadline and an AbortSignal the
 * implementation should pass on to its client.
 */
export class LookupTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} took longer than ${ms} ms`);
    this.name = 'LookupTimeout';
  }
}

export async function withTimeout<T>(
  what: string,
  ms: number,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new LookupTimeout(what, ms);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([run(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
