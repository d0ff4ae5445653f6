/**
 * How a command's failure reaches the user and its exit code: bad input (a WardenError) is a
 * one-line message and exit 1 (2 for usage), anything else is a bug, reported with its stack and
 * exit 70. Shared by the CLI and the post-renderer's startup snapshot, which runs `render` without
 * the CLI's dispatch.
 */
import { WardenError } from '../core/errors';

export async function runReportingErrors(
  command: string,
  run: () => Promise<number>,
): Promise<number> {
  try {
    return await run();
  } catch (error) {
    process.stderr.write(`${describeError(command, error)}\n`);
    if (command === 'render') {
      const { runningAsHelm4Plugin, reportToHelm4 } =
        await import('../postrender/helm4-error-channel');
      if (runningAsHelm4Plugin()) reportToHelm4(describeError(command, error));
    }
    if (error instanceof WardenError) return error.code === 'KW_USAGE' ? 2 : 1;
    return 70;
  }
}

function describeError(command: string, error: unknown): string {
  if (error instanceof WardenError)
    return `kafka-warden ${command}: ${error.code}: ${error.message}`;
  // A bug, not bad input: say so, with the stack, so it can be reported.
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `kafka-warden ${command}: internal error: ${detail}`;
}
