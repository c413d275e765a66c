// Fuzzing the WebSocket contract (issue 15 item 3): what a browser tab or a script sends to /api/ws is decoded
// by decodeClientFrame and each call's input schema. Whatever arrives, the decoder either returns a frame or
// throws its named error, and an input schema either returns a value or throws SchemaError naming the field —
// any other throw is a check the schema forgot (dispatch would hide it behind "The input is not valid.").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALL_NAMES, IPC_CALLS } from '../../../src-shared/ipc/index.ts';
import { SchemaError } from '../../../src-shared/ipc/schema.ts';
import { decodeClientFrame } from '../../../src-shared/ipc/ws-protocol.ts';
import { editedJson, editedJsonText } from '../json-mutations.ts';

const RUNS = Number(process.env.OG_FUZZ_RUNS ?? 300);

/** Valid inputs to start edits from (the rest of the calls take no input or only these shapes). */
const SEEDS: Record<string, unknown> = {
  setRegion: { region: 'europe' },
  getClusterMembers: { clusterId: 'asia/model-a' },
  getEngineLogs: { clusterId: 'asia/model-a', lines: 10 },
  getEarnings: { limit: 10 },
  estimateChat: { model: 'model-a', messages: [{ role: 'user', content: 'hi' }], maxTokens: 100 },
  sendChat: {
    requestId: 'request-1',
    model: 'model-a',
    messages: [{ role: 'user', content: 'hi' }],
    maxTokens: 10,
  },
  cancelChat: { requestId: 'request-1' },
  updateSettings: { gpuMemoryShare: 0.5, idleOnly: true },
  setTierEngine: { tier: 'model-b', choice: 'builtin' },
  setEngineServer: { server: { baseUrl: 'http://127.0.0.1:11434/v1', model: null } },
  completeFirstRun: { contribute: true, startAtLogin: false },
};

function onlyNamedRefusal(
  parse: () => unknown,
  ...named: (abstract new (...args: never[]) => Error)[]
): void {
  try {
    parse();
  } catch (error) {
    if (!named.some((kind) => error instanceof kind)) throw error;
    expect((error as Error).message.length).toBeGreaterThan(0);
  }
}

describe('the WebSocket contract under fuzzing', () => {
  it('decodes a client frame or refuses it with a named error, whatever the text', () => {
    let tried = 0;
    const frame = { t: 'call', id: 7, name: 'sendChat', input: SEEDS.sendChat };
    fc.assert(
      fc.property(fc.oneof(editedJsonText(frame), fc.string({ maxLength: 200 })), (text) => {
        tried += 1;
        onlyNamedRefusal(() => decodeClientFrame(text), SyntaxError, SchemaError);
      }),
      { numRuns: RUNS },
    );
    expect(tried).toBe(RUNS);
  });

  it('every call input schema returns a value or throws SchemaError naming the field', () => {
    let tried = 0;
    for (const name of CALL_NAMES) {
      const schema = IPC_CALLS[name].input;
      const seed = SEEDS[name] ?? {};
      fc.assert(
        fc.property(fc.oneof(editedJson(seed), fc.jsonValue({ maxDepth: 3 })), (input) => {
          tried += 1;
          try {
            const value = schema.parse(input, 'input');
            // What the schema lets through parses again to the same thing: the handler sees a clean value.
            expect(schema.parse(JSON.parse(JSON.stringify(value ?? null)), 'input')).toEqual(value ?? null);
          } catch (error) {
            if (!(error instanceof SchemaError)) throw error;
            expect(error.message).toMatch(/^input/);
          }
        }),
        { numRuns: Math.ceil(RUNS / 4) },
      );
    }
    console.log(`contract inputs fuzz: ${tried} inputs over ${CALL_NAMES.length} calls`);
    expect(tried).toBe(CALL_NAMES.length * Math.ceil(RUNS / 4));
  });
});
