import { existsSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * The read-only reference material (chart packages, value sets, renders). KAFKA_WARDEN_SHARED
 * points elsewhere; the default is the `shared` folder beside the repository.
 */
export function sharedDir(): string {
  const dir = process.env.KAFKA_WARDEN_SHARED ?? path.resolve(REPO_ROOT, '..', 'shared');
  if (!existsSync(path.join(dir, 'cp-helm-charts', 'rendered'))) {
    throw new Error(
      `cp-helm-charts reference material not found in ${dir}: set KAFKA_WARDEN_SHARED to the folder holding charts/ and cp-helm-charts/`,
    );
  }
  return dir;
}

export const CHART_VERSIONS = ['0.5.0', '0.6.1'] as const;
