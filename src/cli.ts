/**
 * Command dispatch only. Each command's module is loaded when that command runs, so the
 * post-renderer (`render`) never pays for the webhook server or the policy engine at start-up.
 * A command lives in src/commands/<name>.ts and exports `run(args): Promise<exit code>`.
 */
import { runReportingErrors } from './commands/report-error';
import { WardenError } from './core/errors';

interface Command {
  summary: string;
  load: () => Promise<{ run: (args: string[]) => Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  render: {
    summary: 'Helm post-renderer: manifests on stdin, transformed manifests on stdout',
    load: () => import('./commands/render'),
  },
  serve: {
    summary: 'the admission webhooks (mutating and validating) over HTTPS',
    load: () => import('./commands/serve'),
  },
  defaults: {
    summary: 'print the default injection configuration (YAML)',
    load: () => import('./commands/defaults'),
  },
  check: {
    summary: 'policy check of Kafka/ZooKeeper StatefulSets in manifests, or of an upgrade (--old)',
    load: () => import('./commands/check'),
  },
  certs: {
    summary: 'TLS material: a CA, broker and client keystores, Secrets, inspection, rotation',
    load: () => import('./commands/certs'),
  },
  plan: {
    summary: 'a kafka-reassign-partitions plan for a new broker count, from the live assignment',
    load: () => import('./commands/plan'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 3;
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return `usage: kafka-warden <command> [options]\n\ncommands:\n${lines.join('\n')}\n  ${'version'.padEnd(width)}print the version\n\nRun "kafka-warden <command> --help" for a command's options.`;
}

declare const KAFKA_WARDEN_VERSION: string | undefined;
const VERSION = typeof KAFKA_WARDEN_VERSION === 'string' ? KAFKA_WARDEN_VERSION : 'dev';

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'version' || command === '--version') {
    process.stdout.write(`kafka-warden ${VERSION}\n`);
    return 0;
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${usage()}\n`);
    return command === undefined ? 2 : 0;
  }
  return runReportingErrors(command, async () => {
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!entry) throw new WardenError('KW_USAGE', `unknown command "${command}"\n${usage()}`);
    const { run } = await entry.load();
    return run(rest);
  });
}
