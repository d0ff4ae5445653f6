// `kafka-warden certs jaas` and `certs hash`, run in-process: the Secrets they print, what they
// refuse, and that no password reaches stdout outside a Secret's base64 data or any error message.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dumpYaml11, loadYaml11 } from '../../../src/manifests/yaml11';
import { contentHash, rollHash, toSecret, type JaasSecret } from '../../../src/tls';
import { runCerts, testBroker } from '../tls/fixtures';

const certs = runCerts;

const ADMIN_PASSWORD = 'Adm1n-only-in-a-file';
const CLIENT_PASSWORD = 'c0mponents-only-in-a-file';
let root: string;
const file = (name: string, content: string) => {
  const target = path.join(root, name);
  writeFileSync(target, content);
  return target;
};
const decoded = (secret: JaasSecret, key: string) =>
  Buffer.from(secret.data[key] ?? '', 'base64').toString('utf8');

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'kw-sasl-'));
  file('admin.pw', `${ADMIN_PASSWORD}\n`);
  file('components.pw', CLIENT_PASSWORD);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('certs jaas', () => {
  const broker = (...extra: string[]) =>
    certs(
      'jaas',
      '--kind',
      'broker',
      '--user',
      'admin',
      '--password-file',
      path.join(root, 'admin.pw'),
      ...extra,
    );

  test('--kind broker prints Secret <sts>-jaas with kafka_server_jaas.conf; passwords only in its data', async () => {
    const outcome = await broker(
      '--accept-user',
      `components=${path.join(root, 'components.pw')}`,
      '--statefulset',
      'my-cp-cp-kafka',
      '--namespace',
      'kafka',
    );
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).not.toContain(ADMIN_PASSWORD);
    expect(outcome.stdout).not.toContain(CLIENT_PASSWORD);
    const secret = loadYaml11(outcome.stdout) as JaasSecret;
    expect(secret.metadata).toEqual({
      name: 'my-cp-cp-kafka-jaas',
      namespace: 'kafka',
      labels: { 'app.kubernetes.io/component': 'kafka-sasl-broker' },
    });
    expect(Object.keys(secret.data)).toEqual(['kafka_server_jaas.conf']);
    const jaas = decoded(secret, 'kafka_server_jaas.conf');
    expect(jaas).toContain(`username="admin"\n  password="${ADMIN_PASSWORD}"`);
    expect(jaas).toContain(`user_admin="${ADMIN_PASSWORD}"`);
    expect(jaas).toContain(`user_components="${CLIENT_PASSWORD}"`);
    expect(jaas).toContain('KafkaClient {');
    expect(jaas).not.toMatch(/^Client \{/m);
  });

  test('--kind client prints Secret <sts>-client-jaas with sasl.jaas.config in sasl-jaas.properties', async () => {
    const outcome = await certs(
      'jaas',
      '--kind',
      'client',
      '--user',
      'components',
      '--password-file',
      path.join(root, 'components.pw'),
      '--statefulset',
      'my-cp-cp-kafka',
    );
    const secret = loadYaml11(outcome.stdout) as JaasSecret;
    expect(secret.metadata.name).toBe('my-cp-cp-kafka-client-jaas');
    expect(decoded(secret, 'sasl-jaas.properties')).toContain(
      `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="components" password="${CLIENT_PASSWORD}";\n`,
    );
  });

  test.each<[string, string]>([
    ['a double quote', 'ab"cd'],
    ['a backslash', 'ab\\cd'],
    ['a dollar sign', 'ab${x}'],
    ['two lines', 'ab\ncd\n'],
    ['nothing', '\n'],
  ])(
    'a password file with %s is refused naming the file, never the value',
    async (_n, password) => {
      const bad = file('bad.pw', password);
      const outcome = await certs(
        'jaas',
        '--kind',
        'client',
        '--user',
        'u',
        '--password-file',
        bad,
        '--secret-name',
        's',
      );
      expect(outcome.error?.code).toBe('KW_TLS_INPUT');
      expect(outcome.error?.message).toContain(bad);
      if (password.trim()) expect(outcome.error?.message).not.toContain(password.trim());
      expect(outcome.stdout).toBe('');
    },
  );

  test.each<[string, string[]]>([
    ['no Secret name', []],
    ['--accept-user without a file', ['--secret-name', 's', '--accept-user', 'bob']],
    ['a password on the command line', ['--secret-name', 's', '--password', 'x']],
  ])('%s is a usage error', async (_n, extra) => {
    expect((await broker(...extra)).error?.code).toBe('KW_USAGE');
  });

  test('a user name JAAS would not read as one word is refused', async () => {
    const outcome = await certs(
      'jaas',
      '--kind',
      'broker',
      '--user',
      'bad name',
      '--password-file',
      path.join(root, 'admin.pw'),
      '--secret-name',
      's',
    );
    expect(outcome.error?.code).toBe('KW_TLS_INPUT');
  });
});

describe('certs hash', () => {
  test("for one Secret kafka-warden issued, the hash equals the Secret's content-hash annotation", async () => {
    const { material } = await testBroker();
    const secret = toSecret(material, { name: 'kf-broker-tls' });
    const outcome = await certs('hash', file('broker.yaml', dumpYaml11(secret)));
    expect(outcome.stdout).toBe(
      `${secret.metadata.annotations['kafka-warden.io/tls-content-hash']}\n`,
    );
  });

  test('several Secrets, alone or as a kubectl List, give one hash independent of their order', async () => {
    const a = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a' }, data: { k: 'YQ==' } };
    const b = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b' }, data: { k: 'Yg==' } };
    const fa = file('a.yaml', dumpYaml11(a));
    const fb = file('b.yaml', dumpYaml11(b));
    const list = file('list.yaml', dumpYaml11({ apiVersion: 'v1', kind: 'List', items: [b, a] }));
    const expected = rollHash([
      { name: 'a', files: { k: Buffer.from('a') } },
      { name: 'b', files: { k: Buffer.from('b') } },
    ]);
    expect((await certs('hash', fa, fb)).stdout).toBe(`${expected}\n`);
    expect((await certs('hash', fb, fa)).stdout).toBe(`${expected}\n`);
    expect((await certs('hash', list)).stdout).toBe(`${expected}\n`);
    expect(expected).not.toBe(contentHash({ k: Buffer.from('a') }));
  });

  test('a changed value in any Secret changes the hash', () => {
    const one = (value: string) => [
      { name: 'a', files: { k: Buffer.from('a') } },
      { name: 'jaas', files: { k: Buffer.from(value) } },
    ];
    expect(rollHash(one('old'))).not.toBe(rollHash(one('new')));
  });

  test('no file is a usage error; a non-Secret is KW_TLS_INPUT', async () => {
    expect((await certs('hash')).error?.code).toBe('KW_USAGE');
    const notSecret = file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    expect((await certs('hash', notSecret)).error?.code).toBe('KW_TLS_INPUT');
  });
});
