// Ledger throughput: full block validation against a bare OpenSSL verify loop over the same blocks (the
// baseline), committed own-chain appends (one at a time, the baseline, against 200 concurrent requesters
// through the group commit: issue 17 wants ≥ 5×), and a fresh node catching up 100,000 blocks over loopback TCP
// against verifying those blocks alone.
// Usage: npm run bench:ledger [-- --blocks 100000 --appends 2000 --requesters 200]
// Last line: one JSON object.
import { ed25519 } from '@noble/curves/ed25519.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Block } from '../src-shared/ledger/block.ts';
import {
  buildCredit,
  buildOpen,
  buildReserve,
  buildSettle,
  reserveTermsFor,
} from '../src-shared/ledger/block-builders.ts';
import { createBlock, decodeBlock, encodeBlock } from '../src-shared/ledger/block-codec.ts';
import { toHex } from '../src-shared/ledger/bytes.ts';
import {
  DEFAULT_LEDGER_PARAMS,
  MICRO_PER_TOKEN,
  type LedgerParams,
} from '../src-shared/ledger/ledger-params.ts';
import { LedgerView } from '../src-shared/ledger/ledger-view.ts';
import type { ChainState } from '../src-shared/ledger/chain-state.ts';
import { LedgerService } from '../src-main/node/ledger/ledger-service.ts';
import { signerFromSeed, type LedgerSigner } from '../src-main/node/ledger/ledger-signer.ts';
import { LedgerSync } from '../src-main/node/ledger/ledger-sync.ts';
import { connectLedgerSync, serveLedgerSync } from '../src-main/node/ledger/sync-socket.ts';
import { createNativeVerifier, nativeSha256 } from '../src-main/node/ledger/native-crypto.ts';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '100000' },
    appends: { type: 'string', default: '2000' },
    requesters: { type: 'string', default: '200' },
  },
});
const TOTAL = Number(values.blocks);
/** Concurrent requesters on one node for the group-commit figure (issue 17's acceptance). */
const REQUESTERS = Number(values.requesters);
const APPENDS = Number(values.appends);
const T0 = BigInt(Date.now());

function signer(n: number): LedgerSigner {
  const seed = new Uint8Array(32);
  seed[0] = 0x5b;
  seed[1] = n & 0xff;
  seed[2] = n >> 8;
  return signerFromSeed(seed, ed25519.getPublicKey(seed));
}

// 100 payers with genesis tokens, 100 workers that only earn: each request is RESERVE + SETTLE + CREDIT.
const payers = Array.from({ length: 100 }, (_, i) => signer(i));
const workers = Array.from({ length: 100 }, (_, i) => signer(1000 + i));
const params: LedgerParams = {
  ...DEFAULT_LEDGER_PARAMS,
  networkId: new Uint8Array(32).fill(0x11),
  genesis: payers.map((p) => ({ account: p.publicKey, amount: 10_000_000n * MICRO_PER_TOKEN })),
  prices: { 'model-a': { pricePerUnit: 1_000n, promptWeight: 1n, completionWeight: 2n } },
  maxClockSkewMs: 10n ** 12n,
};
const verify = createNativeVerifier();

function generate(count: number): Block[] {
  const view = new LedgerView({ params, verify, hasher: nativeSha256 });
  const order: Block[] = [];
  const add = (who: LedgerSigner, body: Parameters<typeof createBlock>[0]) => {
    const block = createBlock(body, (m) => who.sign(m), nativeSha256);
    const result = view.receive(block, T0, { trusted: true });
    if (result.verdict.status !== 'valid')
      throw new Error(`generator made an invalid block: ${JSON.stringify(result.verdict)}`);
    order.push(block);
    return block;
  };
  for (const p of [...payers, ...workers]) {
    const genesis = params.genesis.find((g) => toHex(g.account) === toHex(p.publicKey))?.amount ?? 0n;
    add(
      p,
      buildOpen(
        params,
        p.publicKey,
        T0,
        { fingerprint: [ed25519.getPublicKey(new Uint8Array(32).fill(order.length & 0xff))], inherits: null },
        genesis,
      ),
    );
  }
  for (let i = 0; order.length < count; i++) {
    const payer = payers[i % payers.length]!;
    const worker = workers[(i * 7) % workers.length]!;
    const requestId = nativeSha256(new Uint8Array([i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 1]));
    const terms = reserveTermsFor(
      params,
      'model-a',
      requestId,
      [{ pk: worker.publicKey, weight: 1n }],
      500,
      500,
      T0,
    );
    add(
      payer,
      buildReserve(params, view.chain(payer.publicKey)!, T0, {
        requestId,
        worker: worker.publicKey,
        maxPromptTokens: 500,
        maxCompletionTokens: 500,
        terms,
      }),
    );
    const state = view.chain(payer.publicKey)!;
    const settle = add(
      payer,
      buildSettle(params, state, T0, state.open.get(toHex(requestId))!, requestId, requestId, 200, 300),
    );
    add(
      worker,
      buildCredit(params, view.chain(worker.publicKey)!, T0, {
        settleId: settle.id,
        index: 0,
        payer: payer.publicKey,
        requestId,
        amount: -settle.body.amount,
      }),
    );
  }
  return order.slice(0, count);
}

console.log(
  `ledger bench: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, node ${process.version}, ${new Date().toISOString()}`,
);
let started = performance.now();
const generated = generate(TOTAL);
console.log(`generated ${generated.length} blocks in ${(performance.now() - started).toFixed(0)} ms`);
// Keep only what the two loops need (wire bytes; signature, id and key for the baseline), packed into flat
// buffers, so that the measured process holds about what a real node holds, its own view, and not a million
// small bench objects that every full collection would have to mark too.
const count = generated.length;
const wireAt = new Uint32Array(count + 1);
const encoded = generated.map((b) => encodeBlock(b));
for (let i = 0; i < count; i++) wireAt[i + 1] = wireAt[i]! + encoded[i]!.length;
const wireBytes = new Uint8Array(wireAt[count]!);
encoded.forEach((wire, i) => wireBytes.set(wire, wireAt[i]));
encoded.length = 0;
const sigs = new Uint8Array(64 * count);
const ids = new Uint8Array(32 * count);
const keys: Uint8Array[] = [];
const keyIndex = new Uint16Array(count);
{
  const indexOf = new Map<string, number>();
  generated.forEach((b, i) => {
    sigs.set(b.sig, 64 * i);
    ids.set(b.id, 32 * i);
    const hex = toHex(b.body.account);
    if (!indexOf.has(hex)) indexOf.set(hex, keys.push(Uint8Array.from(b.body.account)) - 1);
    keyIndex[i] = indexOf.get(hex)!;
  });
}
generated.length = 0;
/** The blocks from..to as the two loops take them (built outside the timed loops). */
function sliceOf(from: number, to: number) {
  const wires: Uint8Array[] = [];
  const triples: { sig: Uint8Array; id: Uint8Array; account: Uint8Array }[] = [];
  for (let i = from; i < to; i++) {
    wires.push(wireBytes.subarray(wireAt[i], wireAt[i + 1]));
    triples.push({
      sig: sigs.subarray(64 * i, 64 * i + 64),
      id: ids.subarray(32 * i, 32 * i + 32),
      account: keys[keyIndex[i]!]!,
    });
  }
  return { wires, triples };
}

// Baseline and full validation, interleaved in slices of 1,000 blocks so that load from other processes on a
// shared machine hits both alike. Baseline: a bare loop of OpenSSL Ed25519 verify (cached key objects) over
// the same blocks. Full validation: decode from the wire, every rule, apply to a fresh view (one core, no I/O).
// Warm-up, not measured: both loops over the first 2,000 blocks (into a throwaway view), so that timing
// starts with both paths compiled by the JIT, as in a node that has been running for a while.
{
  const warm = new LedgerView({ params, verify, hasher: nativeSha256 });
  const { wires, triples } = sliceOf(0, Math.min(2000, count));
  for (const t of triples) verify(t.sig, t.id, t.account);
  for (const wire of wires) warm.receive(decodeBlock(wire, nativeSha256)!, T0);
}
const fresh = new LedgerView({ params, verify, hasher: nativeSha256 });
let nativeMs = 0;
let verifyMs = 0;
const SLICE = 1000;
const perSlice: [number, number][] = [];
for (let from = 0; from < count; from += SLICE) {
  const { wires, triples } = sliceOf(from, Math.min(count, from + SLICE));
  const t0 = performance.now();
  let ok = 0;
  for (const t of triples) if (verify(t.sig, t.id, t.account)) ok++;
  const t1 = performance.now();
  for (const wire of wires) {
    const block = decodeBlock(wire, nativeSha256)!;
    if (fresh.receive(block, T0).verdict.status !== 'valid') throw new Error('validation failed');
  }
  const t2 = performance.now();
  if (ok !== triples.length) throw new Error('baseline verify failed');
  nativeMs += t1 - t0;
  verifyMs += t2 - t1;
  perSlice.push([t1 - t0, t2 - t1]);
}
// The ratio over the first and the last tenth: shows whether validation slows as the view grows.
const tenth = Math.max(1, Math.floor(perSlice.length / 10));
const ratioOf = (part: [number, number][]) =>
  part.reduce((n, p) => n + p[0], 0) / part.reduce((n, p) => n + p[1], 0);

// Own-chain appends, each committed (synchronous=FULL) before the next.
const dir = mkdtempSync(join(tmpdir(), 'og-ledger-bench-'));
let appendMs: number;
let appendSingleMs: number;
let appendConcurrent: number;
let syncMs: number;
try {
  const me = payers[0]!;
  const appender = new LedgerService(
    { signer: me, fingerprint: [] },
    { params, dbPath: join(dir, 'append.sqlite'), now: () => T0 },
  );
  await appender.start();
  appender.ensureOpen();
  const reserveOf = (i: number) => {
    const requestId = nativeSha256(new Uint8Array([i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 2]));
    const terms = reserveTermsFor(
      params,
      'model-a',
      requestId,
      [{ pk: workers[0]!.publicKey, weight: 1n }],
      10,
      10,
      T0,
    );
    return {
      requestId,
      reserve: (s: ChainState | undefined) =>
        buildReserve(params, s!, T0, {
          requestId,
          worker: workers[0]!.publicKey,
          maxPromptTokens: 10,
          maxCompletionTokens: 10,
          terms,
        }),
      settle: (s: ChainState | undefined) =>
        buildSettle(params, s!, T0, s!.open.get(toHex(requestId))!, requestId, requestId, 5, 5),
    };
  };
  // Baseline: one requester at a time, each append its own transaction and fsync (appendOwn; what every
  // append cost before group commit).
  started = performance.now();
  for (let i = 0; i < APPENDS / 2; i++) {
    const r = reserveOf(i);
    appender.appendOwn(r.reserve);
    appender.appendOwn(r.settle);
  }
  appendSingleMs = performance.now() - started;
  // 200 concurrent requesters, each RESERVE then SETTLE in turn through the group commit (append).
  const perRequester = Math.max(1, Math.round(APPENDS / 2 / REQUESTERS));
  started = performance.now();
  await Promise.all(
    Array.from({ length: REQUESTERS }, async (_, who) => {
      for (let k = 0; k < perRequester; k++) {
        const r = reserveOf(APPENDS + who * perRequester + k);
        await appender.append(r.reserve);
        await appender.append(r.settle);
      }
    }),
  );
  appendConcurrent = REQUESTERS * perRequester * 2;
  appendMs = performance.now() - started;
  await appender.stop();

  // A fresh node (SQLite store, OpenSSL verifier) catches up all blocks over loopback TCP.
  const source = fresh;
  const { server, port } = await serveLedgerSync(source);
  const node = new LedgerService(
    { signer: signer(5000), fingerprint: [] },
    { params, dbPath: join(dir, 'sync.sqlite'), now: () => T0 },
  );
  await node.start();
  const transport = await connectLedgerSync(port);
  const sync = new LedgerSync({ target: node, transport }, { hasher: nativeSha256 });
  started = performance.now();
  await sync.syncWith('source', { signal: new AbortController().signal });
  syncMs = performance.now() - started;
  const caughtUp = node.view.heads().reduce((n, h) => n + Number(h.seq), 0);
  if (caughtUp !== count) throw new Error(`sync caught up ${caughtUp} of ${count} blocks`);
  transport.close();
  server.close();
  await node.stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const result = {
  blocks: count,
  verifyPerSec: Math.round((count / verifyMs) * 1000),
  nativeVerifyPerSec: Math.round((count / nativeMs) * 1000),
  verifyVsNative: Number((nativeMs / verifyMs).toFixed(3)),
  verifyVsNativeFirstTenth: Number(ratioOf(perSlice.slice(0, tenth)).toFixed(3)),
  verifyVsNativeLastTenth: Number(ratioOf(perSlice.slice(-tenth)).toFixed(3)),
  appendSinglePerSec: Math.round((APPENDS / appendSingleMs) * 1000),
  appendPerSec: Math.round((appendConcurrent / appendMs) * 1000),
  appendRequesters: REQUESTERS,
  appendVsSingle: Number((appendSingleMs / APPENDS / (appendMs / appendConcurrent)).toFixed(2)),
  sync100kMs: Math.round(syncMs * (100_000 / count)),
  verify100kMs: Math.round(verifyMs * (100_000 / count)),
  syncVsVerify: Number((syncMs / verifyMs).toFixed(3)),
  syncTransport:
    'loopback TCP, 4-byte length-prefixed frames (src-main/node/ledger/sync-socket.ts), fresh node with SQLite store',
};
console.log(
  `appends: one at a time ${result.appendSinglePerSec}/s, ${REQUESTERS} concurrent requesters ${result.appendPerSec}/s ` +
    `= ${result.appendVsSingle}× (goal ≥ 5×); verifyVsNative ${result.verifyVsNative} (goal ≥ 0.9)`,
);
console.log(JSON.stringify(result));
