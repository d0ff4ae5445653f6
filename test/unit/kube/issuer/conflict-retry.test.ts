/**
 * The one retry-on-conflict loop every write of the issuer goes through
 * (src/kube/issuer/conflict-retry.ts). The races themselves, staged against an in-memory API:
 * secret-issuer.test.ts, broker-roll.test.ts, client-requests.test.ts.
 */
import {
  CONFLICT,
  MAX_ATTEMPTS,
  retryOnConflict,
} from '../../../../src/kube/issuer/conflict-retry';

test('an attempt that does not lose a race answers at once, told it lost none', async () => {
  const told: boolean[] = [];
  await expect(
    retryOnConflict((lostRace) => {
      told.push(lostRace);
      return Promise.resolve('current');
    }),
  ).resolves.toBe('current');
  expect(told).toEqual([false]);
});

test('a lost race reads and decides again, and says so to the next attempt', async () => {
  const told: boolean[] = [];
  const result = await retryOnConflict((lostRace) => {
    told.push(lostRace);
    return Promise.resolve(told.length < 3 ? CONFLICT : 'adopted');
  });
  expect(result).toBe('adopted');
  expect(told).toEqual([false, true, true]);
});

test(`${MAX_ATTEMPTS} races lost in a row leave it to the next pass`, async () => {
  let attempts = 0;
  const always = () => {
    attempts++;
    return Promise.resolve(CONFLICT);
  };
  await expect(retryOnConflict(always)).rejects.toThrow(
    `lost ${MAX_ATTEMPTS} races in a row; next pass`,
  );
  expect(attempts).toBe(MAX_ATTEMPTS);
  await expect(retryOnConflict(always, 'on the roll mark')).rejects.toThrow(
    `lost ${MAX_ATTEMPTS} races in a row on the roll mark; next pass`,
  );
});

test('a failure that is not a lost race is not retried', async () => {
  let attempts = 0;
  await expect(
    retryOnConflict(() => {
      attempts++;
      return Promise.reject(new Error('update failed: HTTP 403'));
    }),
  ).rejects.toThrow('update failed: HTTP 403');
  expect(attempts).toBe(1);
});
