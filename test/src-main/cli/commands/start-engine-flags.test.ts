// The engine flags of `opengateway-node start` are checked before anything starts.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../../src-main/cli/cli-command.ts';
import { startCommand } from '../../../../src-main/cli/commands/start.ts';

const io = { stdout: () => undefined, stderr: () => undefined, env: {} };
const run = (...args: string[]) => startCommand.run(args, io, new AbortController().signal);

describe('opengateway-node start: engine flags', () => {
  it.each([
    [['--engine', 'llama'], /unknown engine "llama"/],
    [['--engine', 'openai'], /--engine openai needs --engine-url/],
    [['--tier-engine', 'model-b'], /--tier-engine needs TIER=builtin\|exo\|openai/],
    [['--tier-engine', 'model-b=gpt'], /--tier-engine needs/],
    [['--tier-engine', 'model-b=openai'], /needs --engine-url/],
  ])('refuses %j', async (args, message) => {
    const failure = run(...args);
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(message);
  });
});

describe('opengateway-node start: the membership interval', () => {
  it.each([
    [['--membership-interval-ms', '10'], /--membership-interval-ms/],
    [['--heartbeat-ms', '10'], /--heartbeat-ms/],
    [['--membership-interval-ms', '1000', '--heartbeat-ms', '1000'], /old name of --membership-interval-ms/],
  ])('refuses %j', async (args, message) => {
    const failure = run(...args);
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(message);
  });
});
