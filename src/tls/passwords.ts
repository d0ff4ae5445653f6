/**
 * Store passwords and the files that carry them. Brokers read one password per credentials file
 * (the Confluent image's contract, ../shared/DOMAIN.md §2); the chart's other components read
 * `ssl-passwords.properties` through Kafka's FileConfigProvider (src/core/tls-wiring.ts). No
 * password ever leaves these files: not into env, argv, logs or error messages.
 */
import { randomBytes } from 'node:crypto';
import { SECRET_KEYS } from '../core/tls-wiring';
import { WardenError } from '../core/errors';

export interface StorePasswords {
  keystore: string;
  /**
   * Equal to `keystore`: a PKCS#12 file protects its key bag and its MAC with one password as far
   * as keytool and most tools are concerned ("Different store and key passwords not supported for
   * PKCS12 KeyStores"). Kafka still wants `ssl.key.password`, so it gets its own file.
   */
  key: string;
  truststore: string;
}

/** 24 random bytes, base64url: 192 bits, and no character that Java properties or a shell would escape. */
function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

export function newStorePasswords(): StorePasswords {
  const keystore = newPassword();
  return { keystore, key: keystore, truststore: newPassword() };
}

const PROPERTY_NAMES = {
  keystore: 'keystore.password',
  key: 'key.password',
  truststore: 'truststore.password',
} as const satisfies Record<keyof StorePasswords, string>;

const CREDENTIAL_FILES = {
  keystore: SECRET_KEYS.keystoreCredentials,
  key: SECRET_KEYS.keyCredentials,
  truststore: SECRET_KEYS.truststoreCredentials,
} as const satisfies Record<keyof StorePasswords, string>;

/** The four password-bearing files. Credentials files hold the bare password, no newline. */
export function passwordFiles(passwords: StorePasswords): Record<string, Buffer> {
  const properties = (Object.keys(PROPERTY_NAMES) as (keyof StorePasswords)[])
    .map((store) => `${PROPERTY_NAMES[store]}=${passwords[store]}\n`)
    .join('');
  return {
    [CREDENTIAL_FILES.keystore]: Buffer.from(passwords.keystore),
    [CREDENTIAL_FILES.key]: Buffer.from(passwords.key),
    [CREDENTIAL_FILES.truststore]: Buffer.from(passwords.truststore),
    [SECRET_KEYS.passwordsProperties]: Buffer.from(
      `# kafka-warden: read by Kafka's FileConfigProvider; do not log\n${properties}`,
    ),
  };
}

/**
 * The subset of java.util.Properties that kafka-warden writes: `key=value` or `key: value` lines,
 * `#`/`!` comments. Values are never echoed in errors.
 */
export function parsePasswordsProperties(text: string): Partial<StorePasswords> {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) continue;
    const match = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
  }
  const result: Partial<StorePasswords> = {};
  for (const store of Object.keys(PROPERTY_NAMES) as (keyof StorePasswords)[]) {
    const value = values.get(PROPERTY_NAMES[store]);
    if (value !== undefined) result[store] = value;
  }
  return result;
}

/** The image reads credentials files with $(cat …), which drops trailing newlines: so do we. */
function credentialText(file: Buffer): string {
  return file.toString('utf8').replace(/[\r\n]+$/, '');
}

/**
 * The passwords of a set of material files: from the credentials files (what brokers use), else
 * from ssl-passwords.properties. `source` (a directory or Secret) names the place in errors.
 */
export function passwordsFromFiles(files: Record<string, Buffer>, source: string): StorePasswords {
  const propertiesFile = files[SECRET_KEYS.passwordsProperties];
  const properties = propertiesFile
    ? parsePasswordsProperties(propertiesFile.toString('utf8'))
    : {};
  const read = (store: keyof StorePasswords): string => {
    const file = files[CREDENTIAL_FILES[store]];
    const value = file ? credentialText(file) : properties[store];
    if (value === undefined || value === '') {
      throw new WardenError(
        'KW_TLS_INPUT',
        `${source}: no ${store} password (neither ${CREDENTIAL_FILES[store]} nor ${PROPERTY_NAMES[store]} in ${SECRET_KEYS.passwordsProperties})`,
      );
    }
    return value;
  };
  return { keystore: read('keystore'), key: read('key'), truststore: read('truststore') };
}

/** Stores whose credentials file and properties entry disagree (a hand-edited Secret); names only. */
export function passwordMismatches(files: Record<string, Buffer>): string[] {
  const propertiesFile = files[SECRET_KEYS.passwordsProperties];
  if (!propertiesFile) return [];
  const properties = parsePasswordsProperties(propertiesFile.toString('utf8'));
  return (Object.keys(CREDENTIAL_FILES) as (keyof StorePasswords)[]).filter((store) => {
    const file = files[CREDENTIAL_FILES[store]];
    const value = properties[store];
    return file !== undefined && value !== undefined && credentialText(file) !== value;
  });
}
