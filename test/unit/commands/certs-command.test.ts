// `kafka-warden certs`, run in-process: files and modes, Secret output, usage errors, and that
// nothing secret reaches stdout outside a Secret manifest or any error message.
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadYaml11 } from '../../../src/manifests/yaml11';
import { inspectMaterial, type MaterialReport, type SecretManifest } from '../../../src/tls';
import { runCerts } from '../tls/fixtures';

jest.setTimeout(60_000);

const certs = runCerts;

/** `issue` with the test CA; the rest of the arguments as given. */
const issueWith = (kind: 'broker' | 'client', ...rest: string[]) =>
  ok('issue', '--ca-dir', caDir, '--kind', kind, ...rest);

async function ok(...args: string[]): Promise<string> {
  const outcome = await certs(...args);
  if (outcome.error) throw new Error(`certs ${args.join(' ')}: ${outcome.error.message}`);
  return outcome.stdout;
}

let root: string;
let caDir: string;
const dir = (name: string) => path.join(root, name);
const mode = (file: string) => statSync(file).mode & 0o777;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'kw-certs-'));
  caDir = dir('ca');
  await ok('init-ca', '--out-dir', caDir, '--bits', '2048');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('init-ca', () => {
  test('writes ca.crt readable and ca.key owner-only, and prints no key', async () => {
    expect(mode(path.join(caDir, 'ca.crt'))).toBe(0o644);
    expect(mode(path.join(caDir, 'ca.key'))).toBe(0o600);
    const again = await certs(
      'init-ca',
      '--out-dir',
      dir('ca-print'),
      '--bits',
      '2048',
      '--name',
      'Ops CA',
    );
    expect(again.stdout).toMatch(/CA Ops CA, valid until \d{4}-.*SHA-256 [0-9a-f]{64}/);
    expect(again.stdout).not.toContain('PRIVATE KEY');
  });

  test.each([
    [
      'a newline',
      'Ops CA\nCN=evil',
      /^--name: "Ops CA\\nCN=evil" holds a control character \(U\+000A\)/,
    ],
    ['a NUL', 'Ops\u0000CA', /^--name: "Ops\\u0000CA" holds a control character \(U\+0000\)/],
    [
      'a C1 control (U+0085)',
      'Ops\u0085CA',
      /^--name: "Ops\\u\{85\}CA" holds a control character \(U\+0085\)/,
    ],
    ['a right-to-left override', 'Ops\u202eAC', /holds a control character \(U\+202E\)/],
    ['65 characters', 'C'.repeat(65), /^--name: "C{65}" has 65 characters/],
    ['no characters', '', /^--name: "" has 0 characters/],
  ])('refuses a --name with %s, writing nothing', async (_what, name, message) => {
    const out = dir(`ca-bad-name-${name.length}-${name.charCodeAt(3)}`);
    const outcome = await certs('init-ca', '--out-dir', out, '--bits', '2048', '--name', name);
    expect(outcome.error).toMatchObject({ code: 'KW_TLS_INPUT' });
    expect(outcome.error?.message).toMatch(message);
    expect(outcome.error?.message).not.toMatch(/[\n\r]/);
    expect(existsSync(out)).toBe(false);
  });

  test('refuses to overwrite a CA key, naming it, unless --force', async () => {
    const refused = await certs('init-ca', '--out-dir', caDir, '--bits', '2048');
    expect(refused.error).toMatchObject({ code: 'KW_TLS_OUTPUT' });
    expect(refused.error?.message).toContain(path.join(caDir, 'ca.key'));
    const forced = dir('ca-forced');
    await ok('init-ca', '--out-dir', forced, '--bits', '2048');
    chmodSync(path.join(forced, 'ca.key'), 0o644);
    await ok('init-ca', '--out-dir', forced, '--bits', '2048', '--force');
    expect(mode(path.join(forced, 'ca.key'))).toBe(0o600);
  });
});

describe('issue', () => {
  test('writes the six files of the Secret, each owner-only', async () => {
    const out = dir('client');
    const stdout = await issueWith('client', '--name', 'connect', '--out-dir', out);
    expect(readdirSync(out).sort()).toEqual([
      'kafka.keystore.p12',
      'kafka.truststore.p12',
      'key-credentials',
      'keystore-credentials',
      'ssl-passwords.properties',
      'truststore-credentials',
    ]);
    for (const file of readdirSync(out)) expect(mode(path.join(out, file))).toBe(0o600);
    expect(stdout).toMatch(/^wrote 6 files to .*: client CN=connect, 0 names, valid until/);
    expect(stdout).not.toContain(readFileSync(path.join(out, 'keystore-credentials'), 'utf8'));
  });

  test.each([
    // The namespace is part of the brokers' principal, as the issuer makes it.
    ['broker', 'kf-broker-tls', 'kf.ns', 20, ['--replicas', '3']],
    ['client', 'kf-client-tls', 'schema-registry', 0, ['--name', 'schema-registry']],
  ] as const)(
    'prints a %s Secret named from --statefulset',
    async (kind, name, commonName, sanCount, extra) => {
      const stdout = await issueWith(
        kind,
        '--statefulset',
        'kf',
        '--namespace',
        'ns',
        ...extra,
        '--secret',
      );
      const secret = loadYaml11(stdout) as SecretManifest;
      expect(secret.metadata).toMatchObject({ name, namespace: 'ns' });
      const sans = secret.metadata.annotations['kafka-warden.io/tls-subject-alt-names'] ?? '';
      expect(sans.split(',').filter(Boolean)).toHaveLength(sanCount);
      const report = inspectMaterial(secret, 's', new Date());
      expect(report.keystore?.certificate.subject).toBe(`CN=${commonName}`);
    },
  );

  test('reads the CA from a Secret manifest (tls.crt, tls.key)', async () => {
    const manifest = dir('ca-secret.yaml');
    const b64 = (file: string) => readFileSync(path.join(caDir, file)).toString('base64');
    writeFileSync(
      manifest,
      `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {name: kafka-ca}\ndata:\n  tls.crt: ${b64('ca.crt')}\n  tls.key: ${b64('ca.key')}\n`,
    );
    const stdout = await ok(
      'issue',
      '--ca-secret',
      manifest,
      '--kind',
      'broker',
      '--dns',
      'kafka.example.com',
      '--secret',
      '--secret-name',
      'x',
    );
    expect(
      (loadYaml11(stdout) as SecretManifest).metadata.annotations[
        'kafka-warden.io/tls-subject-alt-names'
      ],
    ).toBe('kafka.example.com');
  });

  test.each([
    [
      'no --kind',
      ['--ca-dir', 'D', '--out-dir', 'O'],
      'KW_USAGE',
      /--kind broker or --kind client/,
    ],
    [
      'a broker without names',
      ['--ca-dir', 'D', '--kind', 'broker', '--out-dir', 'O'],
      'KW_USAGE',
      /--dns NAME or --statefulset/,
    ],
    [
      'a client without --name',
      ['--ca-dir', 'D', '--kind', 'client', '--out-dir', 'O'],
      'KW_USAGE',
      /--name is required/,
    ],
    [
      '--statefulset without --namespace',
      ['--ca-dir', 'D', '--kind', 'broker', '--statefulset', 'kf', '--replicas', '3'],
      'KW_USAGE',
      /--namespace/,
    ],
    [
      '--days that is not a number',
      ['--ca-dir', 'D', '--kind', 'client', '--name', 'c', '--days', '1y', '--out-dir', 'O'],
      'KW_USAGE',
      /--days must be a whole number/,
    ],
    [
      'no CA',
      ['--kind', 'client', '--name', 'c', '--out-dir', 'O'],
      'KW_USAGE',
      /--ca-dir or --ca-secret/,
    ],
    [
      'a CA directory that does not exist',
      ['--ca-dir', '/nonexistent', '--kind', 'client', '--name', 'c', '--out-dir', 'O'],
      'KW_TLS_INPUT',
      /^\/nonexistent\/ca\.crt: cannot be read \(ENOENT\)/,
    ],
    [
      'an invalid DNS name',
      ['--ca-dir', '<ca>', '--kind', 'broker', '--dns', 'a_b', '--out-dir', 'O'],
      'KW_TLS_INPUT',
      /"a_b" is neither a DNS name/,
    ],
    [
      'a --name with a newline',
      ['--ca-dir', '<ca>', '--kind', 'client', '--name', 'connect\nCN=admin', '--out-dir', 'O'],
      'KW_TLS_INPUT',
      /^--name: "connect\\nCN=admin" holds a control character \(U\+000A\); .* printable ASCII only$/,
    ],
    [
      'a --name beyond ASCII, which forge would encode into a corrupt certificate',
      ['--ca-dir', '<ca>', '--kind', 'client', '--name', 'café', '--out-dir', 'O'],
      'KW_TLS_INPUT',
      /^--name: "caf\\u\{e9\}" holds a character beyond ASCII \(U\+00E9\)/,
    ],
    [
      'a --name of 65 characters',
      ['--ca-dir', '<ca>', '--kind', 'client', '--name', 'c'.repeat(65), '--out-dir', 'O'],
      'KW_TLS_INPUT',
      /^--name: "c{65}" has 65 characters; a common name has 1 to 64 \(X\.520 ub-common-name\)$/,
    ],
    [
      'a --dns name read with its newline',
      ['--ca-dir', '<ca>', '--kind', 'broker', '--dns', 'kafka.example.com\n', '--out-dir', 'O'],
      'KW_TLS_INPUT',
      /^--dns: "kafka\.example\.com\\n" holds a control character \(U\+000A\)/,
    ],
    [
      'a --dns name of 254 characters',
      ['--ca-dir', '<ca>', '--kind', 'broker', '--dns', `${'a.'.repeat(126)}ab`, '--out-dir', 'O'],
      'KW_TLS_INPUT',
      /^--dns: "(a\.)+\.\.\." has 254 characters; a DNS name has at most 253$/,
    ],
    [
      'a --dns label of 64 characters',
      [
        '--ca-dir',
        '<ca>',
        '--kind',
        'broker',
        '--dns',
        `${'a'.repeat(64)}.example.com`,
        '--out-dir',
        'O',
      ],
      'KW_TLS_INPUT',
      /^--dns: "a{64}\.example\.com" is neither a DNS name/,
    ],
    [
      'a broker common name from a --dns name over 64 characters',
      [
        '--ca-dir',
        '<ca>',
        '--kind',
        'broker',
        '--dns',
        `${'a'.repeat(60)}.example.com`,
        '--out-dir',
        'O',
      ],
      'KW_TLS_INPUT',
      /^--dns \(the first is the common name without --name\): "a{60}\.example\.com" has 72 characters/,
    ],
    [
      'a --statefulset with an escape sequence',
      [
        '--ca-dir',
        '<ca>',
        '--kind',
        'broker',
        '--statefulset',
        'kf\u001b[2J',
        '--namespace',
        'ns',
        '--replicas',
        '1',
        '--out-dir',
        'O',
      ],
      'KW_TLS_INPUT',
      /^--statefulset: "kf\\u001b\[2J" holds a control character \(U\+001B\)/,
    ],
    [
      'a --namespace with a tab',
      [
        '--ca-dir',
        '<ca>',
        '--kind',
        'broker',
        '--statefulset',
        'kf',
        '--namespace',
        'n\ts',
        '--replicas',
        '1',
        '--out-dir',
        'O',
      ],
      'KW_TLS_INPUT',
      /^--namespace: "n\\ts" holds a control character \(U\+0009\)/,
    ],
    [
      'a --cluster-domain with a carriage return',
      [
        '--ca-dir',
        '<ca>',
        '--kind',
        'broker',
        '--statefulset',
        'kf',
        '--namespace',
        'ns',
        '--replicas',
        '1',
        '--cluster-domain',
        'cluster.local\r',
        '--out-dir',
        'O',
      ],
      'KW_TLS_INPUT',
      /^--cluster-domain: "cluster\.local\\r" holds a control character \(U\+000D\)/,
    ],
    [
      'both --out-dir and --secret',
      ['--ca-dir', '<ca>', '--kind', 'client', '--name', 'c', '--out-dir', 'O', '--secret'],
      'KW_USAGE',
      /exactly one of --out-dir DIR, --secret/,
    ],
    [
      '--secret without a name',
      ['--ca-dir', '<ca>', '--kind', 'client', '--name', 'c', '--secret'],
      'KW_USAGE',
      /--secret-name/,
    ],
    [
      'an unknown option',
      ['--ca-dir', 'D', '--kind', 'client', '--password', 'x'],
      'KW_USAGE',
      /password/,
    ],
  ])('refuses %s', async (_what, args, code, message) => {
    // "O" under the test's directory: were a refusal to fail, nothing lands in the working tree.
    const outcome = await certs(
      'issue',
      ...args.map((a) => (a === '<ca>' ? caDir : a === 'O' ? dir('O') : a)),
    );
    expect(outcome.error).toMatchObject({ code });
    expect(outcome.error?.message).toMatch(message);
  });
});

describe('inspect', () => {
  let brokerDir: string;
  beforeAll(async () => {
    brokerDir = dir('broker');
    await issueWith('broker', '--dns', 'kf-0.kf-headless.ns', '--out-dir', brokerDir);
  });

  test.each([
    ['a material directory', () => brokerDir],
    [
      'a store (its directory gives the passwords)',
      () => path.join(brokerDir, 'kafka.truststore.p12'),
    ],
  ])('reports on %s and exits 0 when nothing is wrong', async (_what, target) => {
    const outcome = await certs('inspect', target());
    expect(outcome.code).toBe(0);
    const report = loadYaml11(outcome.stdout) as MaterialReport;
    expect(report.keystore?.certificate.dnsNames).toEqual(['kf-0.kf-headless.ns']);
    expect(report.problems).toEqual([]);
    expect(outcome.stdout).not.toContain(
      readFileSync(path.join(brokerDir, 'keystore-credentials'), 'utf8'),
    );
  });

  test('reports on a Secret manifest and on a PEM certificate', async () => {
    const secretFile = dir('broker-secret.yaml');
    writeFileSync(
      secretFile,
      await issueWith('client', '--name', 'c', '--secret', '--secret-name', 'c-tls'),
    );
    expect((loadYaml11(await ok('inspect', secretFile)) as MaterialReport).secret?.name).toBe(
      'c-tls',
    );
    expect(await ok('inspect', path.join(caDir, 'ca.crt'))).toMatch(/isCa: true/);
  });

  test('exits 1 and lists the problem when the properties file disagrees', async () => {
    const copy = dir('broker-edited');
    await issueWith('broker', '--dns', 'a.b', '--out-dir', copy);
    writeFileSync(path.join(copy, 'ssl-passwords.properties'), 'keystore.password=other\n');
    const outcome = await certs('inspect', copy);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(/disagrees with the keystore credentials file/);
  });

  test('fails with the file named and the password unsaid when a credentials file is wrong', async () => {
    const copy = dir('broker-wrong');
    await issueWith('broker', '--dns', 'a.b', '--out-dir', copy);
    const real = readFileSync(path.join(copy, 'truststore-credentials'), 'utf8');
    writeFileSync(path.join(copy, 'truststore-credentials'), `${real}x`);
    const outcome = await certs('inspect', copy);
    expect(outcome.error).toMatchObject({ code: 'KW_TLS_INPUT' });
    expect(outcome.error?.message).toMatch(
      /kafka\.truststore\.p12: the password from its credentials does not open it/,
    );
    expect(outcome.error?.message).not.toContain(real);
  });
});

describe('rotate', () => {
  test('turns a Secret into its successor with the same name and namespace, trusting old and new CA', async () => {
    const nextCa = dir('ca-next');
    await ok('init-ca', '--out-dir', nextCa, '--bits', '2048', '--name', 'next CA');
    const current = dir('current.yaml');
    writeFileSync(
      current,
      await issueWith(
        'broker',
        '--statefulset',
        'kf',
        '--namespace',
        'ns',
        '--replicas',
        '1',
        '--secret',
      ),
    );
    const rotated = loadYaml11(
      await ok(
        'rotate',
        '--ca-dir',
        caDir,
        '--new-ca-dir',
        nextCa,
        '--in-secret',
        current,
        '--secret',
      ),
    ) as SecretManifest;
    const before = loadYaml11(readFileSync(current, 'utf8')) as SecretManifest;
    expect(rotated.metadata).toMatchObject({ name: 'kf-broker-tls', namespace: 'ns' });
    const a = (s: SecretManifest, key: string) => s.metadata.annotations[`kafka-warden.io/${key}`];
    expect(a(rotated, 'tls-subject-alt-names')).toBe(a(before, 'tls-subject-alt-names'));
    expect(a(rotated, 'tls-ca-fingerprint')).not.toBe(a(before, 'tls-ca-fingerprint'));
    expect(a(rotated, 'tls-trusted-ca-fingerprints')?.split(',')).toEqual([
      a(rotated, 'tls-ca-fingerprint'),
      a(before, 'tls-ca-fingerprint'),
    ]);
  });

  test('refuses two inputs', async () => {
    const outcome = await certs(
      'rotate',
      '--ca-dir',
      caDir,
      '--in',
      'a',
      '--in-secret',
      'b',
      '--out-dir',
      'o',
    );
    expect(outcome.error).toMatchObject({
      code: 'KW_USAGE',
      message: 'give exactly one of --in, --in-secret',
    });
  });
});

test('an unknown subcommand is a usage error', async () => {
  expect((await certs('renew')).error).toMatchObject({ code: 'KW_USAGE' });
});
