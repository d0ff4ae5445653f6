/**
 * The broker's start command. cp-kafka computes the broker id and the advertised listeners in a
 * `sh -exc` script because only the shell knows the pod's ordinal. kafka-warden rewrites only the
 * KAFKA_ADVERTISED_LISTENERS line and keeps everything else the script does. `-x` echoes every line
 * into the pod log, which is why nothing secret is ever placed in this script.
 */
import { WardenError } from './errors';

const SHELLS = new Set(['sh', 'bash', '/bin/sh', '/bin/bash']);
const ADVERTISED_LINE = /^(\s*export KAFKA_ADVERTISED_LISTENERS=)(.*?)(\s*&&\s*\\?)?\s*$/;
const IMAGE_ENTRYPOINT = '/etc/confluent/docker/run';

export function defaultBrokerScript(advertised: string): string {
  return [
    'export KAFKA_BROKER_ID=${HOSTNAME##*-} && \\',
    `export KAFKA_ADVERTISED_LISTENERS=${advertised} && \\`,
    `exec ${IMAGE_ENTRYPOINT}`,
    '',
  ].join('\n');
}

export function withAdvertisedListeners(
  command: string[] | undefined,
  advertised: string,
  where: string,
): string[] {
  if (!command || command.length === 0) return ['sh', '-exc', defaultBrokerScript(advertised)];
  const [shell, flags, script, ...rest] = command;
  if (
    shell === undefined ||
    !SHELLS.has(shell) ||
    flags === undefined ||
    !/^-[a-z]*c[a-z]*$/.test(flags) ||
    script === undefined ||
    rest.length > 0
  ) {
    throw new WardenError(
      'KW_BROKER_COMMAND',
      `${where}: the broker command is not a "sh -c <script>" form (got ${JSON.stringify(command.slice(0, 2))}); kafka-warden only rewrites the advertised listeners inside the cp-kafka start script. Remove the custom command or exempt this workload.`,
    );
  }
  const lines = script.split('\n');
  const index = lines.findIndex((line) => ADVERTISED_LINE.test(line));
  if (index !== -1) {
    const line = lines[index] ?? '';
    lines[index] = line.replace(
      ADVERTISED_LINE,
      (_m, prefix: string, _old: string, tail?: string) => `${prefix}${advertised}${tail ?? ''}`,
    );
    return [shell, flags, lines.join('\n')];
  }
  const runIndex = lines.findIndex((line) => line.includes(IMAGE_ENTRYPOINT));
  if (runIndex === -1) {
    throw new WardenError(
      'KW_BROKER_COMMAND',
      `${where}: the broker script neither sets KAFKA_ADVERTISED_LISTENERS nor runs ${IMAGE_ENTRYPOINT}, so there is no safe place to set the advertised listeners`,
    );
  }
  const inserted: string[] = [];
  if (!script.includes('KAFKA_BROKER_ID='))
    inserted.push('export KAFKA_BROKER_ID=${HOSTNAME##*-} && \\');
  inserted.push(`export KAFKA_ADVERTISED_LISTENERS=${advertised} && \\`);
  lines.splice(runIndex, 0, ...inserted);
  return [shell, flags, lines.join('\n')];
}
