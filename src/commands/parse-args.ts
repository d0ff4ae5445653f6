import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WardenError } from '../core/errors';

/** node:util parseArgs (no CLI library to load at start-up), with usage errors as KW_USAGE. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true as const });
  } catch (error) {
    throw new WardenError('KW_USAGE', (error as Error).message);
  }
}
