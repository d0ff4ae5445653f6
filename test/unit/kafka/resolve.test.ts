import { staticLookup } from '../../../src/kafka/resolve';

function resolve(
  lookup: NonNullable<ReturnType<typeof staticLookup>>,
  name: string,
  all = false,
): Promise<unknown> {
  return new Promise((ok, fail) =>
    lookup(name, { all }, (error, address, family) =>
      error ? fail(error) : ok(all ? address : { address, family }),
    ),
  );
}

describe('--kafka-resolve / plan --resolve (fixed name → address, like curl --resolve)', () => {
  const lookup = staticLookup(
    [
      'kafka-0.kafka-headless.ns=127.0.0.10',
      'kafka-headless.ns=127.0.0.10',
      'Kafka-Headless.ns=127.0.0.11',
      'v6.example=::1',
    ],
    '--kafka-resolve',
  );

  test('given no specs, keeps the system resolver (undefined)', () => {
    expect(staticLookup([], '--kafka-resolve')).toBeUndefined();
  });

  test('a listed name resolves to its address, case-insensitively; IPv6 too', async () => {
    expect(await resolve(lookup!, 'kafka-0.kafka-headless.ns')).toEqual({
      address: '127.0.0.10',
      family: 4,
    });
    expect(await resolve(lookup!, 'v6.example')).toEqual({ address: '::1', family: 6 });
  });

  test('a name given twice gets both addresses when all are asked for', async () => {
    expect(await resolve(lookup!, 'KAFKA-HEADLESS.NS', true)).toEqual([
      { address: '127.0.0.10', family: 4 },
      { address: '127.0.0.11', family: 4 },
    ]);
  });

  test('an unlisted name goes to the system resolver', async () => {
    const { address } = (await resolve(lookup!, 'localhost')) as { address: string };
    expect(['127.0.0.1', '::1']).toContain(address);
  });

  test.each([
    ['no equals sign', 'kafka-0'],
    ['a host name as the address', 'kafka-0=broker.example'],
    ['an empty name', '=127.0.0.1'],
    ['a port', 'kafka-0:9093=127.0.0.1:9093'],
  ])('given %s, refuses with KW_USAGE naming the flag and the spec', (_what, spec) => {
    let thrown: unknown;
    try {
      staticLookup([spec], '--kafka-resolve');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { code?: string }).code).toBe('KW_USAGE');
    expect((thrown as Error).message).toContain(`--kafka-resolve "${spec}"`);
  });
});
