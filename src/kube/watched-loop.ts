/**
 * The loop each of kafka-warden's controllers (the Secret issuer, the roll gate) runs: one pass at
 * once, then one per period, and sooner when a watch sees a change, with a short debounce so that a
 * burst (a `helm install`) becomes one pass. A watch that ends (the API server closes them after
 * minutes) is started again after a pause. Nothing here throws: a failed pass is handed to
 * `onPassError`, and the next one still runs on time.
 */
import type { Logger } from 'pino';
import type { KubeApi } from './kube-api';

/** Between a watch that ended and the next; an API server that refuses watches is not hammered. */
const WATCH_RETRY_MS = 2_000;

export interface WatchedLoopOptions {
  api: Pick<KubeApi, 'watch'>;
  intervalMs: number;
  debounceMs: number;
  pass: () => Promise<void>;
  onPassError: (error: Error) => void;
  logger: Logger;
}

export class WatchedLoop {
  private readonly aborter = new AbortController();
  private stopping = false;
  private pending = false;
  private wake: (() => void) | undefined;
  private running: Promise<void>[] = [];

  constructor(private readonly options: WatchedLoopOptions) {}

  /** True once stop() was called: a pass in progress checks it between its writes. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Runs the first pass now and watches `paths` (with their query): any event but a bookmark asks for a pass. */
  start(paths: string[]): void {
    if (this.stopping) return;
    this.running = [this.loop(), ...paths.map((path) => this.watch(path))];
  }

  /** Asks for a pass soon (coalesced with other requests). */
  trigger(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Stops the watches and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.aborter.abort();
    this.wake?.();
    await Promise.allSettled(this.running);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.pending = false;
      try {
        await this.options.pass();
      } catch (error) {
        this.options.onPassError(error as Error);
      }
      if (this.stopping) break;
      await this.idle();
    }
  }

  /** Until the next period, or a trigger followed by the debounce. */
  private async idle(): Promise<void> {
    if (!this.pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.intervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    if (!this.stopping) await delay(this.options.debounceMs, this.aborter.signal);
  }

  private async watch(path: string): Promise<void> {
    const { signal } = this.aborter;
    while (!this.stopping) {
      try {
        await this.options.api.watch(
          path,
          (event) => {
            if (event.type !== 'BOOKMARK') this.trigger();
          },
          signal,
        );
      } catch (error) {
        this.options.logger.debug(
          { path, error: (error as Error).message },
          'watch ended; restarting',
        );
      }
      if (!this.stopping) await delay(WATCH_RETRY_MS, signal);
    }
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
