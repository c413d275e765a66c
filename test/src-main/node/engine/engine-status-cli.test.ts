// `opengateway-node engine status` as a user runs it (a child process), against no EXO and the EXO double.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineProbeReport } from '../../../../src-main/node/engine/engine-probe.ts';
import { runCliProcess } from '../../cli/run-cli-process.ts';
import {
  EXO_LAUNCHER,
  removeTemporaryDirs,
  SMALL_MODEL,
  startDouble,
  temporaryDir,
  type RunningDouble,
} from './engine-test-kit.ts';
import { freeLoopbackPort } from '../../../../src-main/node/net/free-loopback-port.ts';

let double: RunningDouble | null = null;
afterEach(async () => {
  await double?.stop();
  double = null;
  removeTemporaryDirs();
});

/** A PATH with the system tools but no exo. */
function pathWithoutExo(): string {
  return '/usr/bin:/bin';
}

describe('opengateway-node engine status', () => {
  it('says EXO is not found and how to get it, and exits 0', async () => {
    const url = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const result = await runCliProcess(['engine', 'status', '--json', '--url', url], {
      PATH: pathWithoutExo(),
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as EngineProbeReport;
    expect(report).toMatchObject({
      engine: 'exo',
      found: false,
      reachable: false,
      generation: null,
      models: [],
    });
    expect(report.install).toMatch(/exo-explore\/exo/);
    const text = await runCliProcess(['engine', 'status', '--url', url], { PATH: pathWithoutExo() });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/EXO was not found/);
    expect(text.stdout).toMatch(/Install +EXO runs on Linux/);
  });

  it('reports the installed generation, the API and the ready models of a running EXO', async () => {
    double = await startDouble(['--double-preplace', SMALL_MODEL, '--double-load-step-ms', '5']);
    await new Promise((done) => setTimeout(done, 300));
    const bin = temporaryDir();
    writeFileSync(join(bin, 'exo'), `#!/bin/sh\nexec '${EXO_LAUNCHER}' "$@"\n`, { mode: 0o755 });
    // Local-only: the exposure check does not try this machine's real network addresses.
    const result = await runCliProcess(['engine', 'status', '--json', '--url', double.url], {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      EXO_DOUBLE_NODE: process.execPath,
      OPENGATEWAY_LOCAL_ONLY: '1',
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as EngineProbeReport;
    expect(report).toMatchObject({
      engine: 'exo',
      found: true,
      source: 'path',
      generation: 'zenoh',
      supported: true,
      reachable: true,
      models: [{ id: SMALL_MODEL, ready: true }],
      install: null,
    });
    expect(report.nodeId).toMatch(/^[0-9a-f]{32}$/);
    // Finding 13: EXO lets any web page use its API, and the node cannot change that: it says so.
    expect(report.exposure).toEqual({ reachableAt: [], anyWebPage: true });
    const text = await runCliProcess(['engine', 'status', '--url', double.url], {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      EXO_DOUBLE_NODE: process.execPath,
      OPENGATEWAY_LOCAL_ONLY: '1',
    });
    expect(text.stdout).toMatch(
      /Problem +EXO's API has no key and lets any web page you open use it: .* block TCP port \d+ from other machines/,
    );
  });

  it('lists what an OpenAI-compatible server serves', async () => {
    double = await startDouble();
    const result = await runCliProcess(['engine', 'status', '--engine', 'openai', '--url', double.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/OpenAI-compatible server/);
    expect(result.stdout).toContain(`${double.url}/v1: answers`);
    expect(result.stdout).toContain(`Model      ${SMALL_MODEL}: ready`);
  });

  it('refuses bad input with exit 2', async () => {
    const result = await runCliProcess(['engine', 'status', '--engine', 'vllm']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown engine "vllm"/);
  });
});
