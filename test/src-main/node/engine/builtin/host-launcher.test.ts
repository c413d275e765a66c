// The node's default host launcher (a child process of this Node): inside Electron it refuses, naming the
// launcher to use, instead of starting the app binary again (it would need ELECTRON_RUN_AS_NODE, which the
// packaged app's fuse ignores). And a real channel over messages (the utilityProcess path) refuses non-bytes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BuiltinEngine } from '../../../../../src-main/node/engine/builtin/builtin-engine.ts';
import {
  childProcessHostLauncher,
  HostLauncherUnavailableError,
} from '../../../../../src-main/node/engine/builtin/host-launcher.ts';
import {
  MessageDuplex,
  NotBytesMessageError,
} from '../../../../../src-main/node/engine/builtin/message-duplex.ts';
import type { ModelFile } from '../../../../../src-main/node/engine/builtin/model-source.ts';
import { waitForEngineState, type EngineState } from '../../../../../src-main/node/engine/engine.ts';
import { generateTestModelFile } from '../../../../model-gen/test-model-file.ts';

let dir = '';
let model: ModelFile;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-host-launcher-'));
  model = await generateTestModelFile(dir, 'tiny');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete (process.versions as Record<string, string | undefined>).electron;
});

function pretendElectron(): void {
  Object.defineProperty(process.versions, 'electron', { value: '45.5.0', configurable: true });
}

describe('childProcessHostLauncher', () => {
  it('refuses inside Electron instead of running the app binary as Node', () => {
    pretendElectron();
    const launch = () =>
      childProcessHostLauncher().launch({ script: 'llama-host.js', env: {}, onLine: () => undefined });
    expect(launch).toThrow(HostLauncherUnavailableError);
    expect(launch).toThrow(/utilityProcess/);
  });

  it('makes a built-in engine inside Electron without the app’s launcher fail, not start anything', async () => {
    pretendElectron();
    const engine = new BuiltinEngine({ model, threads: 1, gpu: false });
    try {
      await engine.start();
      const failed = await waitForEngineState(
        engine,
        (state): state is Extract<EngineState, { status: 'failed' }> => state.status === 'failed',
        { signal: AbortSignal.timeout(10_000) },
      );
      expect(failed.reason).toContain('could not be started');
      expect(failed.reason).toContain('utilityProcess');
      expect(engine.pid).toBeNull();
    } finally {
      await engine.stop();
    }
  });
});

describe('MessageDuplex (frames over utilityProcess messages)', () => {
  it('posts exact copies of what is written and reads received bytes in order', async () => {
    const posted: Uint8Array[] = [];
    const duplex = new MessageDuplex((bytes) => posted.push(bytes));
    const pooled = Buffer.from('frame');
    duplex.write(pooled);
    await new Promise((resolve) => setImmediate(resolve));
    expect(posted).toHaveLength(1);
    expect(posted[0]!.buffer.byteLength).toBe(5);
    expect(Buffer.from(posted[0]!).toString()).toBe('frame');

    const read: string[] = [];
    duplex.on('data', (chunk: Buffer) => read.push(chunk.toString()));
    duplex.receive(new Uint8Array(Buffer.from('ab')));
    duplex.receive(new Uint8Array(Buffer.from('cd')));
    await new Promise((resolve) => setImmediate(resolve));
    expect(read.join('')).toBe('abcd');
  });

  it('ends with a named error on a message that is not bytes', async () => {
    const duplex = new MessageDuplex(() => undefined);
    const failed = new Promise<Error>((resolve) => duplex.on('error', resolve));
    duplex.receive({ t: 'ready' });
    const error = await failed;
    expect(error).toBeInstanceOf(NotBytesMessageError);
    expect(error.message).toContain('a message of type Object where bytes were expected');
    duplex.receive(new Uint8Array(1));
    expect(duplex.destroyed).toBe(true);
  });
});
