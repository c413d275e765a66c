// The shape of one `opengateway-node` command. Each command lives in commands/<name>.ts.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExpectedError } from '../../src-shared/errors/expected-error.ts';

/** Where a command writes. Tests pass buffers; bin.ts passes the process streams. */
export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  /** The first word on the command line (`profile`, `start`, `engine`, …). */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** The full usage text, shown for `<command> --help` and after a usage error. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: readonly string[], io: CliIo, signal: AbortSignal): Promise<number>;
}

/** Bad input on the command line or in a file the user named: one line on stderr, exit 2, no stack trace. */
export class UsageError extends ExpectedError {
  override readonly name = 'UsageError';
}

/** node:util's parseArgs, with its errors turned into UsageErrors a person can read. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}
