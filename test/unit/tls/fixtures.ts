/** Shared by the TLS unit tests: a fixed clock and a small CA (2048 bits keeps the suite quick). */
import {
  createCa,
  issueBrokerMaterial,
  type CaPem,
  type IssuedMaterial,
  type SigningCa,
} from '../../../src/tls';
import type { Clock } from '../../../src/tls/validity';
import { run } from '../../../src/commands/certs';

export const NOW = new Date('2030-03-15T12:00:00.123Z');
export const clockAt =
  (date: Date): Clock =>
  () =>
    new Date(date);
export const DAY = 24 * 60 * 60 * 1000;

export async function testCa(
  commonName = 'test CA',
  clock: Clock = clockAt(NOW),
  days?: number,
): Promise<{ ca: SigningCa; pem: CaPem }> {
  return createCa({ commonName, bits: 2048, clock, ...(days === undefined ? {} : { days }) });
}

/** Broker material for `kf-0` (and an IP SAN) from a fresh test CA, dated NOW. */
export async function testBroker(): Promise<{
  ca: SigningCa;
  pem: CaPem;
  material: IssuedMaterial;
}> {
  const { ca, pem } = await testCa();
  const material = await issueBrokerMaterial({
    ca,
    commonName: 'kf',
    subjectAltNames: ['kf-0.kf-headless.ns', '10.0.0.1'],
    clock: clockAt(NOW),
  });
  return { ca, pem, material };
}

/** Asserts that `promise` (or `fn`) fails with a WardenError of `code` whose message matches. */
export async function expectWardenError(
  action: Promise<unknown> | (() => unknown),
  code: string,
  message?: RegExp,
): Promise<Error> {
  let error: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (caught) {
    error = caught;
  }
  expect(error).toMatchObject({ name: 'WardenError', code });
  if (message) expect((error as Error).message).toMatch(message);
  return error as Error;
}

export interface CertsOutcome {
  code: number | null;
  stdout: string;
  error: { code?: string; message: string } | null;
}

/** `kafka-warden certs …` in-process: its exit code, what it printed, or what it threw. */
export async function runCerts(...args: string[]): Promise<CertsOutcome> {
  let stdout = '';
  const spy = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    });
  try {
    return { code: await run(args), stdout, error: null };
  } catch (error) {
    return { code: null, stdout, error: error as { code?: string; message: string } };
  } finally {
    spy.mockRestore();
  }
}
