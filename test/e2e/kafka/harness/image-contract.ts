/**
 * What the Confluent broker image does between its entrypoint and the JVM (../shared/DOMAIN.md §2):
 * the `configure` script's checks and exports, then the `kafka.properties` template, which turns
 * every `KAFKA_*` variable into a property. Written after confluentinc/kafka-images
 * (`kafka/include/etc/confluent/docker/configure`, `server/…/kafka.properties.template`) and
 * confluent-docker-utils (`dub ensure`, `dub path`, `env_to_props`, `cub listeners`) as of CP 6.x,
 * the family cp-helm-charts 0.6.1 installs.
 *
 * Where the image would exit, this throws ImageRefusal with the image's own words, so a
 * configuration kafka-warden produces is judged by the same rules the real container applies.
 * Files are read through `files`, in container paths (the pod's mounts, see volumes.ts).
 */

/** The pod's file system as the container sees it. */
export interface ContainerFiles {
  exists(containerPath: string): boolean;
  read(containerPath: string): string;
}

export interface ImageConfiguration {
  /** kafka.properties as the template writes it. */
  properties: [name: string, value: string][];
  /** The environment after `configure`: what the launch script and the JVM options see. */
  env: Record<string, string>;
  /** What `configure` printed on the way. */
  messages: string[];
}

export class ImageRefusal extends Error {
  override name = 'ImageRefusal';
}

export const SECRETS_DIR = '/etc/kafka/secrets';
const DEFAULT_LOG_DIRS = '/var/lib/kafka/data';

/**
 * Not properties. The real template's list misses a comma after 'KAFKA_HEAP_OPTS', so Python
 * joins it with the next string and neither KAFKA_HEAP_OPTS nor KAFKA_LOG4J_OPTS is excluded:
 * the image writes `heap.opts=` and `log4j.opts=` lines, which Kafka ignores as unknown
 * configuration. They are excluded here as intended; Kafka acts on neither way.
 */
export const EXCLUDED_FROM_PROPERTIES = [
  'KAFKA_VERSION',
  'KAFKA_HEAP_OPTS',
  'KAFKA_LOG4J_OPTS',
  'KAFKA_OPTS',
  'KAFKA_JMX_OPTS',
  'KAFKA_JVM_PERFORMANCE_OPTS',
  'KAFKA_GC_LOG_OPTS',
  'KAFKA_LOG4J_ROOT_LOGLEVEL',
  'KAFKA_LOG4J_LOGGERS',
  'KAFKA_TOOLS_LOG4J_LOGLEVEL',
] as const;

export function configureLikeImage(
  input: Record<string, string>,
  files: ContainerFiles,
): ImageConfiguration {
  const env = { ...input };
  const messages: string[] = [];
  ensure(env, 'KAFKA_ZOOKEEPER_CONNECT');
  ensure(env, 'KAFKA_ADVERTISED_LISTENERS');
  const advertised = env.KAFKA_ADVERTISED_LISTENERS as string;

  if (!env.KAFKA_LISTENERS) env.KAFKA_LISTENERS = listenersFromAdvertised(advertised);
  if (!env.KAFKA_LOG_DIRS) env.KAFKA_LOG_DIRS = DEFAULT_LOG_DIRS;

  for (const [name, what] of [
    ['KAFKA_ADVERTISED_PORT', 'advertised.port'],
    ['KAFKA_ADVERTISED_HOST', 'advertised.host'],
    ['KAFKA_HOST', 'host'],
    ['KAFKA_PORT', 'port'],
  ] as const) {
    if (env[name]) {
      throw new ImageRefusal(
        `${what} is deprecated. Please use KAFKA_ADVERTISED_LISTENERS instead.`,
      );
    }
  }

  // The image tests the listener text, not the protocol map (DOMAIN.md §2).
  if (advertised.includes('SSL://')) {
    messages.push('SSL is enabled.');
    env.KAFKA_SSL_KEYSTORE_LOCATION = `${SECRETS_DIR}/${ensure(env, 'KAFKA_SSL_KEYSTORE_FILENAME')}`;
    ensurePath(files, env.KAFKA_SSL_KEYSTORE_LOCATION);
    env.KAFKA_SSL_KEY_PASSWORD = readCredentials(env, files, 'KAFKA_SSL_KEY_CREDENTIALS');
    env.KAFKA_SSL_KEYSTORE_PASSWORD = readCredentials(env, files, 'KAFKA_SSL_KEYSTORE_CREDENTIALS');
    const clientAuth = env.KAFKA_SSL_CLIENT_AUTH ?? '';
    if (clientAuth.includes('required') || clientAuth.includes('requested')) {
      env.KAFKA_SSL_TRUSTSTORE_LOCATION = `${SECRETS_DIR}/${ensure(env, 'KAFKA_SSL_TRUSTSTORE_FILENAME')}`;
      ensurePath(files, env.KAFKA_SSL_TRUSTSTORE_LOCATION);
      env.KAFKA_SSL_TRUSTSTORE_PASSWORD = readCredentials(
        env,
        files,
        'KAFKA_SSL_TRUSTSTORE_CREDENTIALS',
      );
    }
  }

  if (/SASL_.*:\/\//.test(advertised)) {
    messages.push('SASL is enabled.');
    ensure(env, 'KAFKA_OPTS');
    if (!(env.KAFKA_OPTS as string).includes('java.security.auth.login.config')) {
      // The image only prints this and goes on; the broker then dies at start-up for want of a
      // JAAS configuration, so the harness stops here with the image's message and the outcome.
      throw new ImageRefusal(
        "KAFKA_OPTS should contain 'java.security.auth.login.config' property. (The image goes on; the broker then fails: no JAAS configuration for its SASL listener.)",
      );
    }
  }

  if (env.KAFKA_JMX_OPTS && !env.KAFKA_JMX_OPTS.includes('com.sun.management.jmxremote.rmi.port')) {
    messages.push(
      "KAFKA_OPTS should contain 'com.sun.management.jmxremote.rmi.port' property. It is required for accessing the JMX metrics externally.",
    );
  }

  const properties = [
    ...envToProperties(env, 'KAFKA_', '', EXCLUDED_FROM_PROPERTIES),
    ...envToProperties(env, 'CONFLUENT_SUPPORT_', 'confluent.support.'),
    // cp-enterprise-kafka and cp-server only: their template also writes the metrics reporter's
    // settings. The chart's broker image is cp-enterprise-kafka.
    ...envToProperties(env, 'CONFLUENT_METRICS_', 'confluent.metrics.'),
  ];
  return { properties, env, messages };
}

/**
 * dub's env_to_props: strip the prefix, lower-case, `_` → `.`, then `...` (from `___`) → `-` and
 * `..` (from `__`) → `_`, in that order.
 */
export function envToProperties(
  env: Record<string, string>,
  envPrefix: string,
  propertyPrefix: string,
  exclude: readonly string[] = [],
): [string, string][] {
  return Object.entries(env)
    .filter(([name]) => name.startsWith(envPrefix) && !exclude.includes(name))
    .map(([name, value]): [string, string] => {
      const dotted = name.slice(envPrefix.length).toLowerCase().split('_').join('.');
      const property = dotted.split('...').join('-').split('..').join('_');
      return [propertyPrefix + property, value];
    });
}

/** `cub listeners`: every advertised host replaced by 0.0.0.0, names and ports kept. */
export function listenersFromAdvertised(advertised: string): string {
  return advertised.replace(/:\/\/(.*?):/g, '://0.0.0.0:');
}

/**
 * The file the template writes: `name=value` lines, values verbatim (Jinja does no escaping, so
 * the JVM reads them as java.util.Properties would, as in the real container).
 */
export function propertiesText(properties: [string, string][]): string {
  return properties.map(([name, value]) => `${name}=${value}\n`).join('');
}

/** `dub ensure NAME`: set and non-empty. */
function ensure(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) {
    throw new ImageRefusal(
      `${name} is required.\nCommand [/usr/local/bin/dub ensure ${name}] FAILED !`,
    );
  }
  return value;
}

/** `dub path PATH exists`. */
function ensurePath(files: ContainerFiles, containerPath: string): void {
  if (!files.exists(containerPath)) {
    throw new ImageRefusal(`Command [/usr/local/bin/dub path ${containerPath} exists] FAILED !`);
  }
}

/** `VAR_PASSWORD=$(cat /etc/kafka/secrets/$VAR_CREDENTIALS)`; `$(…)` drops trailing newlines. */
function readCredentials(
  env: Record<string, string>,
  files: ContainerFiles,
  variable: string,
): string {
  const location = `${SECRETS_DIR}/${ensure(env, variable)}`;
  ensurePath(files, location);
  return files.read(location).replace(/\n+$/, '');
}
