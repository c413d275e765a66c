// Dispatches `opengateway-node <command> …` and turns errors into exit codes:
// 0 success, 1 an unexpected failure (logged with context), 2 bad input (one line, no stack trace).
import type { CliCommand, CliIo } from './cli-command.ts';

import { isExpectedError } from '../../src-shared/errors/expected-error.ts';

export async function runCli(
  commands: readonly CliCommand[],
  argv: readonly string[],
  io: CliIo,
  signal: AbortSignal,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overview(commands));
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    io.stderr(`opengateway-node: unknown command "${name}" (try --help)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io, signal);
  } catch (error) {
    if (isExpectedError(error)) {
      io.stderr(`opengateway-node ${command.name}: ${error.message}`);
      return 2;
    }
    const detail =
      error instanceof Error ? (io.env.OPENGATEWAY_DEBUG ? error.stack : error.message) : String(error);
    io.stderr(`opengateway-node ${command.name} failed unexpectedly: ${detail}`);
    return 1;
  }
}

function overview(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    'Usage: opengateway-node <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run a command with --help for its options.',
  ].join('\n');
}
