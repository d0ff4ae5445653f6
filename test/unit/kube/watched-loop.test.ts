/**
 * The loop both controllers run (src/kube/watched-loop.ts): a pass at once, a watch event asks for
 * another, a failed pass is reported and the loop goes on, a watch that ends is started again, and
 * stop() ends everything.
 */
import pino from 'pino';
import type { WatchEvent } from '../../../src/kube/kube-api';
import { WatchedLoop } from '../../../src/kube/watched-loop';

const logger = pino({ level: 'silent' });

function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('condition not met in time'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

/** A watch that delivers events on demand and ends when told or when aborted. */
function fakeWatches() {
  const watches: { path: string; send: (e: WatchEvent) => void; end: () => void }[] = [];
  const api = {
    watch: (path: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        watches.push({ path, send: onEvent, end: resolve });
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
  };
  return { api, watches };
}

describe('WatchedLoop', () => {
  test('a pass at once, another on a watch event, none for a bookmark', async () => {
    const { api, watches } = fakeWatches();
    let passes = 0;
    const loop = new WatchedLoop({
      api,
      intervalMs: 60_000,
      debounceMs: 1,
      pass: () => {
        passes++;
        return Promise.resolve();
      },
      onPassError: () => {},
      logger,
    });
    loop.start(['/a']);
    await until(() => passes === 1 && watches.length === 1);
    watches[0]!.send({ type: 'BOOKMARK', object: {} });
    await new Promise((r) => setTimeout(r, 30));
    expect(passes).toBe(1);
    watches[0]!.send({ type: 'MODIFIED', object: {} });
    await until(() => passes === 2);
    await loop.stop();
    expect(loop.stopped).toBe(true);
  });

  test('a failed pass is reported and the next still runs', async () => {
    const { api } = fakeWatches();
    const errors: string[] = [];
    let passes = 0;
    const loop = new WatchedLoop({
      api,
      intervalMs: 10,
      debounceMs: 1,
      pass: () => {
        passes++;
        return passes === 1 ? Promise.reject(new Error('boom')) : Promise.resolve();
      },
      onPassError: (error) => errors.push(error.message),
      logger,
    });
    loop.start([]);
    await until(() => passes >= 2);
    await loop.stop();
    expect(errors).toEqual(['boom']);
  });

  test('a watch that ends is started again', async () => {
    const { api, watches } = fakeWatches();
    const loop = new WatchedLoop({
      api,
      intervalMs: 60_000,
      debounceMs: 1,
      pass: () => Promise.resolve(),
      onPassError: () => {},
      logger,
    });
    loop.start(['/a']);
    await until(() => watches.length === 1);
    watches[0]!.end();
    await until(() => watches.length === 2, 5_000);
    expect(watches[1]!.path).toBe('/a');
    await loop.stop();
  });

  test('stopped before start, it never runs a pass', async () => {
    const { api } = fakeWatches();
    let passes = 0;
    const loop = new WatchedLoop({
      api,
      intervalMs: 10,
      debounceMs: 1,
      pass: () => {
        passes++;
        return Promise.resolve();
      },
      onPassError: () => {},
      logger,
    });
    await loop.stop();
    loop.start(['/a']);
    await new Promise((r) => setTimeout(r, 30));
    expect(passes).toBe(0);
  });
});
