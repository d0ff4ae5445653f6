/**
 * SASL/PLAIN logins as Secrets: the brokers' JAAS file and the clients' `sasl.jaas.config`
 * property (src/core/sasl-wiring.ts mounts and references them). Passwords come from files and
 * go only into the Secret's data; error messages name the file, never the value.
 */
import { WardenError } from '../core/errors';
import { CLIENT_JAAS_PROPERTY, JAAS_KEYS } from '../core/sasl-wiring';
import { COMPONENT_LABEL, opaqueSecret, type OpaqueSecret } from './secret';

const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';

export interface PlainUser {
  name: string;
  password: string;
  /** Where the password came from, for error messages. */
  source: string;
}

export type JaasSecret = OpaqueSecret<{
  name: string;
  namespace?: string;
  labels: Record<string, string>;
}>;

/**
 * User names become JAAS option names (`user_<name>`), so they keep to characters Java's JAAS
 * parser reads as one word.
 */
const USER_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;

/**
 * Printable ASCII without `"` and `\` (JAAS quoting and escapes, Java properties escapes) and
 * without `$` (JAAS expands `${…}` in option values).
 */
const PASSWORD = /^[\x20-\x7e]+$/;
const PASSWORD_FORBIDDEN = /["\\$]/;

/** The text of a password file: one line, its trailing newline dropped. */
export function passwordFromFile(content: Buffer, source: string): string {
  const text = content.toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw new WardenError('KW_TLS_INPUT', `${source}: the password is empty`);
  if (!PASSWORD.test(text) || PASSWORD_FORBIDDEN.test(text)) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${source}: the password must be one line of printable ASCII without " \\ or $ (JAAS and Java properties would alter it)`,
    );
  }
  return text;
}

function checkUser(user: PlainUser): void {
  if (!USER_NAME.test(user.name)) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `user "${user.name}": a SASL/PLAIN user name starts with a letter and holds letters, digits, ".", "_" or "-"`,
    );
  }
  passwordFromFile(Buffer.from(user.password), user.source);
}

/**
 * The brokers' JAAS file. `KafkaServer`: the login the brokers use towards each other (`broker`)
 * and every user they accept (`broker` included). `KafkaClient`: the same login for Kafka clients
 * inside the broker JVM (the Confluent metrics reporter). No `Client` section: ZooKeeper stays
 * without SASL.
 */
export function brokerJaasFile(broker: PlainUser, accepted: PlainUser[] = []): string {
  const users = [broker, ...accepted.filter((u) => u.name !== broker.name)];
  for (const user of users) checkUser(user);
  const login = [`username="${broker.name}"`, `password="${broker.password}"`];
  const server = [...login, ...users.map((u) => `user_${u.name}="${u.password}"`)];
  const section = (name: string, options: string[]) =>
    `${name} {\n  ${PLAIN_LOGIN_MODULE} required\n  ${options.join('\n  ')};\n};\n`;
  return section('KafkaServer', server) + section('KafkaClient', login);
}

/** The clients' properties file: one `sasl.jaas.config`, read through FileConfigProvider. */
export function clientJaasProperties(user: PlainUser): string {
  checkUser(user);
  return (
    `# kafka-warden: read by Kafka's FileConfigProvider; do not log\n` +
    `${CLIENT_JAAS_PROPERTY}=${PLAIN_LOGIN_MODULE} required username="${user.name}" password="${user.password}";\n`
  );
}

/** A Secret with the one key the brokers (`broker`) or the clients (`client`) mount. */
export function jaasSecret(
  kind: 'broker' | 'client',
  content: string,
  options: { name: string; namespace?: string },
): JaasSecret {
  return opaqueSecret(
    {
      name: options.name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      // No managed-by label: the reconciler's TLS renewal must not take it for TLS material.
      labels: { [COMPONENT_LABEL]: `kafka-sasl-${kind}` },
    },
    { [JAAS_KEYS[kind]]: Buffer.from(content, 'utf8') },
  );
}
