/**
 * The platform policy the validating webhook enforces, re-read when its file changes (a ConfigMap
 * mount). A policy that does not parse or validate is refused at start-up; on reload it is logged
 * and the last valid policy stays in force, so a typo never switches enforcement off.
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { loadPolicyFile } from '../config/load-policy';
import { DEFAULT_POLICY, type Policy } from '../policy/policy';

export class PolicyStore {
  private current: Policy;
  private readonly path: string | undefined;

  constructor(
    path: string | undefined,
    private readonly logger: Logger,
  ) {
    this.path = path;
    this.current = path ? loadPolicyFile(path) : DEFAULT_POLICY;
  }

  get policy(): Policy {
    return this.current;
  }

  watch(intervalMs = 2000): () => void {
    const path = this.path;
    if (!path) return () => undefined;
    const reload = () => {
      try {
        this.current = loadPolicyFile(path);
        this.logger.info({ policy: path }, 'policy reloaded');
      } catch (error) {
        this.logger.error(
          { policy: path, error: (error as Error).message },
          'policy reload refused; keeping the last valid policy',
        );
      }
    };
    watchFile(path, { interval: intervalMs, persistent: false }, reload);
    return () => unwatchFile(path, reload);
  }
}
