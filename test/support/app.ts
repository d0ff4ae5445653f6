import pino from 'pino';
import { resolveConfig, type WardenConfig } from '../../src/core/config';
import type { ValidationOutcome } from '../../src/admission/validate';
import { createApp, type AppDependencies } from '../../src/server/app';
import { createMetrics } from '../../src/server/metrics';

/** An app for HTTP-level tests of /mutate; /validate answers through the function given. */
export function mutationApp(
  config: WardenConfig = resolveConfig(),
  validate: AppDependencies['validate'] = () =>
    Promise.resolve<ValidationOutcome>({ allowed: true, result: 'allowed', findings: [] }),
  mutateStatefulSets = false,
) {
  const metrics = createMetrics();
  const deps: AppDependencies = {
    logger: pino({ level: 'silent' }),
    metrics,
    mutation: () => ({ config, mutateStatefulSets }),
    validate,
    ready: () => true,
  };
  return { app: createApp(deps), metrics, deps };
}
