/**
 * Command dispatch only. Each command's module is loaded when that command runs, so the
 * post-renderer (`render`) never pays for the webhook server or the policy engine at start-up.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WardenError } from './core/errors';

const USAGE = `usage: kafka-warden <command> [options]

commands:
  render [--config FILE]   Helm post-renderer: manifests on stdin, transformed manifests on stdout
  defaults                 print the default injection configuration (YAML)
  version                  print the version

Run "kafka-warden <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'render':
        return await runRender(rest);
      case 'defaults':
        return await runDefaults(rest);
      case 'version':
      case '--version':
        process.stdout.write(`kafka-warden ${VERSION}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new WardenError('KW_USAGE', `unknown command "${command}"\n${USAGE}`);
    }
  } catch (error) {
    const code = reportError(command ?? 'kafka-warden', error);
    if (command === 'render') {
      const { runningAsHelm4Plugin, reportToHelm4 } =
        await import('./postrender/helm4-error-channel');
      if (runningAsHelm4Plugin()) reportToHelm4(describeError(command, error));
    }
    return code;
  }
}

declare const KAFKA_WARDEN_VERSION: string | undefined;
const VERSION = typeof KAFKA_WARDEN_VERSION === 'string' ? KAFKA_WARDEN_VERSION : 'dev';

async function runRender(args: string[]): Promise<number> {
  const { values } = parse(args, {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(
      'usage: kafka-warden render [--config FILE] < manifests.yaml > out.yaml\n\n' +
        "Reads a rendered release on stdin and writes it, with kafka-warden's injection, to stdout.\n" +
        'Without --config the defaults apply (TLS, metrics, probes, disruption budgets).\n' +
        'Also: KAFKA_WARDEN_CONFIG=FILE.\n',
    );
    return 0;
  }
  const { runPostRenderer } = await import('./postrender/run-post-renderer');
  return runPostRenderer({ configPath: values.config ?? process.env.KAFKA_WARDEN_CONFIG });
}

async function runDefaults(args: string[]): Promise<number> {
  parse(args, {});
  const [{ dumpYaml11 }, { DEFAULT_CONFIG }] = await Promise.all([
    import('./postrender/yaml11'),
    import('./core/config'),
  ]);
  process.stdout.write(dumpYaml11(DEFAULT_CONFIG));
  return 0;
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true as const });
  } catch (error) {
    throw new WardenError('KW_USAGE', (error as Error).message);
  }
}

function describeError(command: string, error: unknown): string {
  if (error instanceof WardenError)
    return `kafka-warden ${command}: ${error.code}: ${error.message}`;
  // A bug, not bad input: say so, with the stack, so it can be reported.
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `kafka-warden ${command}: internal error: ${detail}`;
}

function reportError(command: string, error: unknown): number {
  process.stderr.write(`${describeError(command, error)}\n`);
  if (error instanceof WardenError) return error.code === 'KW_USAGE' ? 2 : 1;
  return 70;
}
