/**
 * The process side of the post-renderer: read all of stdin, transform, judge the result against
 * the policy, write all of stdout. Output is written only after the whole stream transformed and
 * passed: a failure or a denial never leaves half a release on stdout for Helm to apply.
 */
import { readFileSync } from 'node:fs';
import { resolveConfig, type WardenConfig } from '../core/config';
import { WardenError } from '../core/errors';
import { renderRelease } from '../postrender/render';
import { readAllInput, writeAllOutput } from '../postrender/whole-stdio';

export interface PostRendererOptions {
  configPath?: string | undefined;
  policyPath?: string | undefined;
  /** The release as deployed (e.g. `helm get manifest`), to judge the render as an upgrade. */
  previousPath?: string | undefined;
  /** The release namespace, for objects that name none. */
  namespace?: string | undefined;
}

export async function runPostRenderer(options: PostRendererOptions): Promise<number> {
  const config = await loadConfig(options.configPath);
  const input = await readAllInput();
  const result = renderRelease(input, config);
  const warnings = [
    ...result.notices.map((n) => n.message),
    ...(await judge(result.objects, config, options)),
  ];
  for (const warning of warnings)
    process.stderr.write(`kafka-warden render: warning: ${warning}\n`);
  await writeAllOutput(result.output);
  return 0;
}

/** Create-time rules always; upgrade rules when the previous release is given. */
async function judge(
  objects: Parameters<typeof import('../policy/evaluate-release').evaluateRelease>[0]['objects'],
  config: WardenConfig,
  options: PostRendererOptions,
): Promise<string[]> {
  const [{ evaluateRelease }, policy, previousObjects] = await Promise.all([
    import('../policy/evaluate-release'),
    options.policyPath
      ? import('../config/load-policy').then((m) => m.loadPolicyFile(options.policyPath as string))
      : Promise.resolve(undefined),
    options.previousPath ? readPrevious(options.previousPath) : Promise.resolve(undefined),
  ]);
  const verdicts = await evaluateRelease({
    objects,
    ...(previousObjects ? { previousObjects } : {}),
    ...(policy ? { policy } : {}),
    detection: config.detection,
    namespace: options.namespace ?? 'default',
  });
  const denials = verdicts.filter((v) => !v.verdict.allowed);
  if (denials.length > 0) {
    const text = denials
      .map(
        (v) =>
          `${v.operation} of ${v.kind} ${v.namespace}/${v.name}:\n${v.verdict.denials.map((d) => `  [${d.rule}] ${d.message}`).join('\n')}`,
      )
      .join('\n');
    throw new WardenError('KW_POLICY_DENIED', `the render is refused by policy:\n${text}`);
  }
  return verdicts.flatMap((v) => v.verdict.warnings.map((w) => `${v.kind} ${v.name}: ${w}`));
}

async function readPrevious(path: string) {
  const { parseManifests } = await import('../policy/parse-manifests');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WardenError(
      'KW_INPUT_READ',
      `cannot read the previous release ${path}: ${(error as Error).message}`,
    );
  }
  return parseManifests(text, path).map((s) => s.object);
}

async function loadConfig(path: string | undefined): Promise<WardenConfig> {
  if (!path) return resolveConfig();
  // Loaded only when a file is given: schema validation is the slowest part of start-up.
  const { loadConfigFile } = await import('../config/load-config');
  return loadConfigFile(path);
}
