#!/usr/bin/env node
// `opengateway-node`: the headless node and its tools. Runs on Node 22 straight from the TypeScript source.
import { COMMANDS } from './commands/index.ts';
import { runCli } from './run-cli.ts';

const controller = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupts += 1;
    // A second Ctrl-C means "now": skip the clean shutdown.
    if (interrupts > 1) process.exit(130);
    controller.abort(new Error(`received ${signal}`));
  });
}

const exitCode = await runCli(
  COMMANDS,
  process.argv.slice(2),
  {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  },
  controller.signal,
);
process.exitCode = exitCode;
