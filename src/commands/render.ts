import { parseCommandArgs } from './parse-args';

export const HELP = `usage: kafka-warden render [--config FILE] [--policy FILE] [--previous FILE] [--namespace NS]
         < manifests.yaml > out.yaml

Reads a rendered release on stdin and writes it, with kafka-warden's injection, to stdout.
Without --config the defaults apply (TLS, metrics, probes, disruption budgets).
The result is judged by the policy (--policy, else the default policy): the create-time rules
always, the upgrade rules when --previous names the release as deployed (helm get manifest).
A render the policy denies is refused: nothing on stdout, the reasons on stderr, exit 1.
Also: KAFKA_WARDEN_CONFIG, KAFKA_WARDEN_POLICY, KAFKA_WARDEN_PREVIOUS.
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    config: { type: 'string', short: 'c' },
    policy: { type: 'string' },
    previous: { type: 'string' },
    namespace: { type: 'string', short: 'n' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const { runPostRenderer } = await import('./run-post-renderer');
  return runPostRenderer({
    configPath: values.config ?? process.env.KAFKA_WARDEN_CONFIG,
    policyPath: values.policy ?? process.env.KAFKA_WARDEN_POLICY,
    previousPath: values.previous ?? process.env.KAFKA_WARDEN_PREVIOUS,
    namespace: values.namespace ?? process.env.HELM_NAMESPACE,
  });
}
