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

/**
 * A flag's value as a whole number of at least `min`: decimal digits only (no sign, exponent, hex
 * or empty value, which Number() would read as a number), within the safe integer range.
 */
export function wholeNumber(text: string, flag: string, min = 0): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new WardenError(
      'KW_USAGE',
      `${flag} must be a whole number${min > 0 ? ` ≥ ${min}` : ''}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
