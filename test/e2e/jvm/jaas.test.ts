// The SASL files `kafka-warden certs jaas` writes, read by a real JVM: every password comes back
// exactly as written, including characters that JAAS or Java properties could have mangled.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brokerJaasFile, clientJaasProperties } from '../../../src/tls/jaas';
import { runTool } from './jvm';

jest.setTimeout(120_000);

const CHECK = path.join(__dirname, 'java', 'JaasCheck.java');
const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule';
// Printable ASCII except the three characters passwordFromFile refuses (" \ $).
const AWKWARD = "a b'c;{}=:#!%&*()[]<>?/|~^`@+,.-_0";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kw-jaas-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function read(mode: 'jaas' | 'properties', content: string, ...sections: string[]): string[] {
  const file = path.join(dir, `${mode}-${sections.join('-')}.txt`);
  writeFileSync(file, content);
  const java = runTool('java', [CHECK, mode, file, ...sections]);
  if (java.status !== 0) throw new Error(`JaasCheck exited ${java.status}:\n${java.stderr}`);
  return java.stdout.trim().split('\n');
}

test('the brokers JAAS file: KafkaServer with the inter-broker login and every user, KafkaClient with the login, no Client section', () => {
  const file = brokerJaasFile({ name: 'admin', password: AWKWARD, source: 'admin.pw' }, [
    { name: 'schema.registry', password: 'x'.repeat(32), source: 'sr.pw' },
  ]);
  expect(read('jaas', file, 'KafkaServer', 'KafkaClient', 'Client')).toEqual([
    `KafkaServer\tmodule\t${PLAIN}\tLoginModuleControlFlag: required`,
    `KafkaServer\toption\tpassword\t${AWKWARD}`,
    `KafkaServer\toption\tuser_admin\t${AWKWARD}`,
    `KafkaServer\toption\tuser_schema.registry\t${'x'.repeat(32)}`,
    `KafkaServer\toption\tusername\tadmin`,
    `KafkaClient\tmodule\t${PLAIN}\tLoginModuleControlFlag: required`,
    `KafkaClient\toption\tpassword\t${AWKWARD}`,
    `KafkaClient\toption\tusername\tadmin`,
    'Client\tmissing',
  ]);
});

test("the clients' properties: sasl.jaas.config survives java.util.Properties and the JAAS grammar", () => {
  const properties = clientJaasProperties({
    name: 'components',
    password: AWKWARD,
    source: 'c.pw',
  });
  expect(read('properties', properties)).toEqual([
    `KafkaClient\tmodule\t${PLAIN}\tLoginModuleControlFlag: required`,
    `KafkaClient\toption\tpassword\t${AWKWARD}`,
    `KafkaClient\toption\tusername\tcomponents`,
  ]);
});
