import { DEFAULT_CONFIG } from '../core/config';
import { dumpYaml11 } from '../manifests/yaml11';
import { parseCommandArgs } from './parse-args';

export function run(args: string[]): Promise<number> {
  parseCommandArgs(args, {});
  process.stdout.write(dumpYaml11(DEFAULT_CONFIG));
  return Promise.resolve(0);
}
