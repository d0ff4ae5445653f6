/**
 * The process side of the post-renderer: read all of stdin, transform, write all of stdout. Output
 * is written only after the whole stream transformed, so a failure never leaves half a release on
 * stdout for Helm to apply.
 */
import { resolveConfig, type WardenConfig } from '../core/config';
import { renderManifests } from './render';

export interface PostRendererOptions {
  configPath?: string | undefined;
}

export async function runPostRenderer(options: PostRendererOptions): Promise<number> {
  const config = await loadConfig(options.configPath);
  const input = await readStdin();
  const output = renderManifests(input, config);
  await new Promise<void>((resolve, reject) =>
    process.stdout.write(output, (error) => (error ? reject(error) : resolve())),
  );
  return 0;
}

async function loadConfig(path: string | undefined): Promise<WardenConfig> {
  if (!path) return resolveConfig();
  // Loaded only when a file is given: schema validation is the slowest part of start-up.
  const { loadConfigFile } = await import('../config/load-config');
  return loadConfigFile(path);
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}
