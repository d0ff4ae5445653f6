import { parseCommandArgs } from './parse-args';

export const HELP = `usage: kafka-warden render [--config FILE] < manifests.yaml > out.yaml

Reads a rendered release on stdin and writes it, with kafka-warden's injection, to stdout.
Without --config the defaults apply (TLS, metrics, probes, disruption budgets).
Also: KAFKA_WARDEN_CONFIG=FILE.
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const { runPostRenderer } = await import('../postrender/run-post-renderer');
  return runPostRenderer({ configPath: values.config ?? process.env.KAFKA_WARDEN_CONFIG });
}
