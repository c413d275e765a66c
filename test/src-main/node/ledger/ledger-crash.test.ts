// Crash safety (ref/ledger-design.md §12 C): a node SIGKILLed at random points of own appends and of
// receives restarts with consistent heads, never publishes one seq with two bodies, and its recomputed
// balances equal the cached ones. The normal suite runs a few trials; `npm run test:ledger-crash` runs ≥ 200.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildCredit,
  buildOpen,
  buildReserve,
  buildSettle,
  reserveTermsFor,
} from '../../../../src-shared/ledger/block-builders.ts';
import { encodeBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import {
  appendValid,
  fingerprintOf,
  newView,
  requestIdOf,
  T0,
  testAccount,
} from '../../../src-shared/ledger/ledger-fixtures.ts';
import { prng } from './sim-network.ts';
import { crashParams, CRASH_PEER } from './crash-params.ts';

const TRIALS = Number(process.env.LEDGER_CRASH_TRIALS ?? 3);
const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const POINTS = [
  'built',
  'signed',
  'inserted',
  'committed',
  'published',
  'receive-applied',
  'receive-inserted',
] as const;
const dir = mkdtempSync(join(tmpdir(), 'og-ledger-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function peerFeed(): string {
  const params = crashParams();
  const peer = testAccount(CRASH_PEER);
  const view = newView(params);
  appendValid(
    view,
    peer,
    buildOpen(params, peer.pk, T0, { fingerprint: fingerprintOf(2), inherits: null }, 5_000_000_000n),
  );
  for (let i = 0; i < 250; i++) {
    const requestId = requestIdOf(peer, i);
    const terms = reserveTermsFor(
      params,
      'model-a',
      new Uint8Array(32).fill(1),
      [{ pk: peer.pk, weight: 1n }],
      10,
      10,
      T0,
    );
    appendValid(
      view,
      peer,
      buildReserve(params, view.chain(peer.pk)!, T0, {
        requestId,
        worker: peer.pk,
        maxPromptTokens: 10,
        maxCompletionTokens: 10,
        terms,
      }),
    );
    const s = view.chain(peer.pk)!;
    const settle = appendValid(
      view,
      peer,
      buildSettle(params, s, T0, s.open.get(toHex(requestId))!, requestId, new Uint8Array(32).fill(2), 5, 5),
    );
    appendValid(
      view,
      peer,
      buildCredit(params, view.chain(peer.pk)!, T0, {
        settleId: settle.id,
        index: 0,
        payer: peer.pk,
        requestId,
        amount: -settle.body.amount,
      }),
    );
  }
  const path = join(dir, 'feed.txt');
  writeFileSync(
    path,
    view
      .range(peer.pk, 1n, 1000n, 1000)
      .map((b) => toHex(encodeBlock(b)))
      .join('\n'),
  );
  return path;
}

function runChild(
  args: string[],
  killAfterMs: number | null,
): Promise<{ stdout: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings=ExperimentalWarning', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killAfterMs !== null && timer === undefined && stdout.includes('READY'))
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve({ stdout, signal });
    });
  });
}

describe('ledger crash safety', () => {
  it(`keeps heads consistent and never republishes a seq with another body (${TRIALS} SIGKILL trials)`, async () => {
    const feed = peerFeed();
    const random = prng(TRIALS * 7919);
    let dbPath = '';
    let published = new Map<number, string>();
    let kills = 0;
    const killedAt: Record<string, number> = {};
    for (let trial = 0; trial < TRIALS; trial++) {
      // A fresh ledger every 20 trials keeps each restart's replay short; within a group every restart
      // continues the same chain, so "never two bodies at one seq" is checked across up to 20 crashes.
      if (trial % 20 === 0) {
        dbPath = join(dir, `ledger-${trial}.sqlite`);
        published = new Map();
      }
      const internal = random() < 0.7;
      const point = POINTS[Math.floor(random() * POINTS.length)]!;
      const after = 1 + Math.floor(random() * 12);
      const { stdout, signal } = await runChild(
        ['run', dbPath, feed, internal ? point : 'none', String(after)],
        internal ? null : 5 + Math.floor(random() * 120),
      );
      if (signal === 'SIGKILL') {
        kills++;
        const key = internal ? point : 'outside';
        killedAt[key] = (killedAt[key] ?? 0) + 1;
      }
      for (const line of stdout.split('\n')) {
        const match = /^P (\d+) ([0-9a-f]{64})$/.exec(line);
        if (!match) continue;
        const seq = Number(match[1]);
        const earlier = published.get(seq);
        // No seq is ever published with two bodies, across every crash and restart.
        if (earlier !== undefined) expect(match[2]).toBe(earlier);
        published.set(seq, match[2]!);
      }
      const check = await runChild(['check', dbPath, feed, 'none', '0'], null);
      const report = JSON.parse(check.stdout.trim().split('\n').pop()!) as {
        consistent: boolean;
        ownIds: string[];
        conserved: boolean;
        peerSeq: number;
      };
      expect(report.consistent).toBe(true);
      expect(report.conserved).toBe(true);
      // Everything published survived, with the body that was published.
      for (const [seq, id] of published) expect(report.ownIds[seq - 1]).toBe(id);
    }
    expect(kills).toBeGreaterThan(0);
    if (process.env.LEDGER_CRASH_TRIALS) console.log(JSON.stringify({ trials: TRIALS, kills, killedAt }));
  }, 3_600_000);
});
