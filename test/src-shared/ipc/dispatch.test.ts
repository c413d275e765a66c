import { describe, expect, it, vi } from 'vitest';
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';
import { CALL_NAMES, dispatchCall, IPC_CALLS } from '../../../src-shared/ipc/index.ts';
import { createInMemoryNode } from '../../../e2e/fixture/in-memory-node.ts';

class LowBalance extends ExpectedError {}
const context = { signal: new AbortController().signal };

describe('dispatchCall', () => {
  it('runs the handler with validated input and wraps its output', async () => {
    const node = createInMemoryNode();
    const result = await dispatchCall(node.handlers, 'setRegion', { region: 'europe' }, context);
    expect(result).toMatchObject({ ok: true, output: { region: 'europe', source: 'override' } });
  });

  it('refuses unknown calls, including names inherited from Object.prototype', async () => {
    const node = createInMemoryNode();
    for (const name of ['deleteEverything', 'toString', '__proto__', 42]) {
      const result = await dispatchCall(node.handlers, name, null, context);
      expect(result).toMatchObject({ ok: false, error: { kind: 'unknown-call' } });
    }
  });

  it('rejects input that breaks the contract before any handler runs', async () => {
    const node = createInMemoryNode();
    const spy = vi.spyOn(node.handlers, 'updateSettings');
    const result = await dispatchCall(node.handlers, 'updateSettings', { gpuMemoryShare: 7 }, context);
    expect(result).toEqual({
      ok: false,
      error: { kind: 'invalid-input', message: 'input.gpuMemoryShare: must be between 0.1 and 1' },
    });
    expect(spy).not.toHaveBeenCalled();
  });

  it('passes expected errors to the user and hides internal ones behind a generic message', async () => {
    const node = createInMemoryNode();
    const onInternalError = vi.fn();
    const handlers = {
      ...node.handlers,
      pause: () => Promise.reject(new LowBalance('Balance below 1,000')),
      resume: () => Promise.reject(new TypeError('x is undefined')),
    };
    expect(await dispatchCall(handlers, 'pause', {}, context, { onInternalError })).toEqual({
      ok: false,
      error: { kind: 'expected', message: 'Balance below 1,000' },
    });
    const internal = await dispatchCall(handlers, 'resume', null, context, { onInternalError });
    expect(internal).toMatchObject({ ok: false, error: { kind: 'internal' } });
    expect(JSON.stringify(internal)).not.toContain('x is undefined');
    expect(onInternalError).toHaveBeenCalledWith(expect.any(TypeError), 'resume');
  });

  it('every call of the contract has a handler in the fixture and its output matches the contract', async () => {
    const node = createInMemoryNode();
    expect(Object.keys(node.handlers).sort()).toEqual([...CALL_NAMES].sort());
    const inputs: Partial<Record<string, unknown>> = {
      setRegion: { region: null },
      getClusterMembers: { clusterId: 'asia/model-a' },
      getEngineLogs: { clusterId: 'asia/model-a', lines: 10 },
      getEarnings: { limit: 10 },
      estimateChat: {
        model: 'model-a-simulated',
        messages: [{ role: 'user', content: 'hi' }],
        maxTokens: 100,
      },
      sendChat: { requestId: 'request-1', model: 'model-a-simulated', messages: [], maxTokens: 10 },
      cancelChat: { requestId: 'request-1' },
      updateSettings: {},
      setTierEngine: { tier: 'model-b', choice: 'builtin' },
      setEngineServer: { server: { baseUrl: 'http://127.0.0.1:11434/v1', model: null } },
      pause: {},
      completeFirstRun: { contribute: true, startAtLogin: false },
    };
    for (const name of CALL_NAMES) {
      if (name === 'installUpdate') continue;
      const result = await dispatchCall(node.handlers, name, inputs[name] ?? null, context);
      expect(result.ok, name).toBe(true);
      if (result.ok) expect(() => IPC_CALLS[name].output.parse(result.output)).not.toThrow();
    }
    node.stop();
  });
});
