/**
 * What the cp-zookeeper image does between its entrypoint and the JVM (confluentinc/kafka-images
 * `zookeeper/include/etc/confluent/docker/{configure,zookeeper.properties.template,myid.template}`):
 * `dub ensure ZOOKEEPER_CLIENT_PORT`, then zookeeper.properties with clientPort, the fixed data
 * directories, the mapped ZOOKEEPER_* settings and one `server.N` line per ZOOKEEPER_SERVERS
 * entry, and `myid` from ZOOKEEPER_SERVER_ID.
 */
import { ImageRefusal } from '../../e2e/kafka/harness/image-contract';

export const ZK_DATA_DIR = '/var/lib/zookeeper/data';
export const ZK_LOG_DIR = '/var/lib/zookeeper/log';

/** The template's table of ZOOKEEPER_* variables and the property each becomes. */
const PROPERTIES: Record<string, string> = {
  ZOOKEEPER_INIT_LIMIT: 'initLimit',
  ZOOKEEPER_SYNC_LIMIT: 'syncLimit',
  ZOOKEEPER_TICK_TIME: 'tickTime',
  ZOOKEEPER_GLOBAL_OUTSTANDING_LIMIT: 'globalOutstandingLimit',
  ZOOKEEPER_PRE_ALLOC_SIZE: 'preAllocSize',
  ZOOKEEPER_SNAP_COUNT: 'snapCount',
  ZOOKEEPER_MAX_CLIENT_CNXNS: 'maxClientCnxns',
  ZOOKEEPER_MAX_SESSION_TIMEOUT: 'maxSessionTimeout',
  ZOOKEEPER_MIN_SESSION_TIMEOUT: 'minSessionTimeout',
  ZOOKEEPER_LEADER_SERVES: 'leaderServes',
  ZOOKEEPER_AUTOPURGE_SNAP_RETAIN_COUNT: 'autopurge.snapRetainCount',
  ZOOKEEPER_AUTOPURGE_PURGE_INTERVAL: 'autopurge.purgeInterval',
  ZOOKEEPER_4LW_COMMANDS_WHITELIST: '4lw.commands.whitelist',
};

export interface ZooKeeperConfiguration {
  properties: [string, string][];
  myid: string;
}

export function configureZooKeeperLikeImage(env: Record<string, string>): ZooKeeperConfiguration {
  const clientPort = env.ZOOKEEPER_CLIENT_PORT;
  if (!clientPort) {
    throw new ImageRefusal(
      'ZOOKEEPER_CLIENT_PORT is required.\nCommand [/usr/local/bin/dub ensure ZOOKEEPER_CLIENT_PORT] FAILED !',
    );
  }
  const properties: [string, string][] = [
    ['clientPort', clientPort],
    ['dataDir', ZK_DATA_DIR],
    ['dataLogDir', ZK_LOG_DIR],
  ];
  for (const [variable, property] of Object.entries(PROPERTIES)) {
    const value = env[variable];
    if (value !== undefined) properties.push([property, value]);
  }
  (env.ZOOKEEPER_SERVERS ?? '')
    .split(';')
    .filter((s) => s.trim() !== '')
    .forEach((server, i) => properties.push([`server.${i + 1}`, server.trim()]));
  return { properties, myid: env.ZOOKEEPER_SERVER_ID ?? '1' };
}
