// Attacks on the worker side of /og/infer, performed over real libp2p streams against real ledgers and the
// EXO double (findings 7, 8 and 22 of ref/security-findings.md): holding slots without paying, quote
// flooding, memory exhaustion with unfinished frames, and image URLs that make an engine fetch.
import type { Stream } from '@libp2p/interface';
import { encode } from 'cborg';
import { peerIdFromString } from '@libp2p/peer-id';
import { afterEach, describe, expect, it } from 'vitest';
import { INFER_WIRE_VERSION } from '../../../../src-shared/protocol/infer-frames.ts';
import { InboundBudget } from '../../../../src-main/node/routing/inbound-budget.ts';
import { DEFAULT_MAX_INBOUND_INFER_STREAMS } from '../../../../src-main/node/routing/infer-worker.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import {
  cleanup,
  collect,
  fundedAccounts,
  paidNode,
  requesterOf,
  runCleanup,
  TIER,
  withEngine,
} from '../ledger/paid-network-kit.ts';
import { ASK, rawInferStream, strangerNode } from './paid-routing-kit.ts';

afterEach(runCleanup);

function requestFrame(id: string, request: unknown = ASK) {
  return { t: 'request' as const, v: INFER_WIRE_VERSION, id, tier: TIER, request: request as typeof ASK };
}

/** Write raw bytes, waiting for the stream to drain when it asks to. */
async function sendRaw(stream: Stream, bytes: Uint8Array): Promise<void> {
  if (!stream.send(bytes)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) });
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** The highest load the worker reported while `during` ran. */
function watchLoad(worker: {
  addEventListener: (type: 'load', fn: (e: CustomEvent<{ load: number }>) => void) => void;
}) {
  const seen = { max: 0 };
  worker.addEventListener('load', (event) => {
    seen.max = Math.max(seen.max, event.detail.load);
  });
  return seen;
}

describe('/og/infer worker under attack', () => {
  it('gives a peer without an account no quote and no slot, however many streams it opens (finding 7)', async () => {
    const { keys, params } = await fundedAccounts([1_000n, 5_000n]);
    const w = await paidNode(params, keys[0], [], { worker: { capacityPerTier: 1 } });
    const r = await paidNode(params, keys[1], [w.p2p.listenAddresses()[0]!]);
    await withEngine(w);
    const stranger = await strangerNode(w.p2p);
    const load = watchLoad(w.worker);

    await stranger.libp2p.services.ping.ping(peerIdFromString(w.peerId), {
      signal: AbortSignal.timeout(5_000),
    });
    // Ten concurrent requests from a key that never opened an account, none of which will ever pay.
    const answers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        try {
          const { channel } = await rawInferStream(stranger, w.peerId);
          const reply = channel.read(10_000);
          // The worker may answer and reset before our write has drained.
          await channel.write(requestFrame(`stranger-${i}`)).catch(() => {});
          return await reply;
        } catch (error) {
          // Under load a refused stream can be reset before its answer is read: still no quote, no slot.
          return { t: 'cut' as const, why: String(error) };
        }
      }),
    );
    // Each is refused before any quote: the account cannot pay, or more of its requests are already being
    // checked than the worker has slots (busy: an honest requester would wait in line).
    for (const answer of answers) {
      if (answer.t === 'cut') continue;
      expect(answer).toMatchObject({ t: 'refused' });
      expect(answer.t === 'refused' && `${answer.reason}: ${answer.message}`).toMatch(
        /^payment: .*no OPEN block|^busy: .*unanswered quote/,
      );
    }
    expect(answers.some((a) => a.t === 'refused' && /no OPEN block/.test(a.message))).toBe(true);
    expect(load.max).toBe(0);
    // The one slot stayed free for a requester that pays.
    expect((await collect(requesterOf(r, [w]).chat(TIER, ASK))).text.length).toBeGreaterThan(0);
  }, 60_000);

  it('holds nothing for a funded peer that takes a quote and never reserves: no more quotes than slots, 2 s to answer (finding 7)', async () => {
    const { keys, params } = await fundedAccounts([1_000n, 5_000n, 5_000n]);
    const w = await paidNode(params, keys[0], [], { worker: { capacityPerTier: 1 } });
    const r = await paidNode(params, keys[1], [w.p2p.listenAddresses()[0]!]);
    const attacker = await paidNode(params, keys[2], [w.p2p.listenAddresses()[0]!]);
    await withEngine(w);
    const load = watchLoad(w.worker);

    const first = await rawInferStream(attacker.p2p, w.peerId);
    const quoted = first.channel.read(10_000);
    await first.channel.write(requestFrame('hold-1'));
    expect((await quoted).t).toBe('quote');
    // While that quote is open, a second one is refused outright: the worker has one slot.
    const second = await rawInferStream(attacker.p2p, w.peerId);
    const refused = second.channel.read(10_000);
    await second.channel.write(requestFrame('hold-2'));
    const answer = await refused;
    expect(answer).toMatchObject({ t: 'refused', reason: 'busy' });
    expect(answer.t === 'refused' && answer.message).toMatch(/already has 1 unanswered quote$/);
    // The paying requester is served while the attacker sits on its quote: the quote holds no slot.
    expect((await collect(requesterOf(r, [w]).chat(TIER, ASK))).text.length).toBeGreaterThan(0);
    // And the quote runs out quickly.
    const ended = await first.channel.read(10_000);
    expect(ended).toMatchObject({ t: 'refused', reason: 'payment' });
    expect(ended.t === 'refused' && ended.message).toMatch(/no RESERVE within 2000 ms/);
    expect(load.max).toBe(1);
  }, 60_000);

  it('bounds the bytes of unfinished frames per peer and in total, and keeps serving (finding 8)', async () => {
    const { keys, params } = await fundedAccounts([1_000n, 5_000n, 5_000n]);
    const budget = new InboundBudget({ totalBytes: 3 * 1024 * 1024, perPeerBytes: 2 * 1024 * 1024 });
    const w = await paidNode(params, keys[0], [], { budget });
    const r = await paidNode(params, keys[1], [w.p2p.listenAddresses()[0]!]);
    const attacker = await paidNode(params, keys[2], [w.p2p.listenAddresses()[0]!]);
    await withEngine(w);
    // The worker knows the attacker's account (so its frames may be large), as it would after one request.
    await w.network.sync.pullAccount(attacker.peerId, attacker.ledger.account, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(w.ledger.view.chain(attacker.ledger.account)).toBeDefined();

    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, budget.used)), 2);
    cleanup.push(() => clearInterval(sampler));
    // 24 streams, each announcing a 2 MiB request frame and sending 512 KiB of it, then stalling: 12 MiB
    // unfinished before, here at most the peer's 2 MiB.
    const streams: Stream[] = [];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 24 }, async () => {
        const { stream } = await rawInferStream(attacker.p2p, w.peerId);
        streams.push(stream);
        await sendRaw(stream, varint(2 * 1024 * 1024));
        for (let sent = 0; sent < 512 * 1024; sent += 64 * 1024)
          await sendRaw(stream, new Uint8Array(64 * 1024));
      }),
    );
    await waitFor(
      'the worker cut the streams over budget',
      () => streams.some((s) => s.status !== 'open'),
      10_000,
    );
    clearInterval(sampler);
    expect(outcomes.length).toBe(24);
    expect(peak).toBeLessThanOrEqual(budget.perPeerBytes);
    expect(budget.usedBy(attacker.peerId)).toBeLessThanOrEqual(budget.perPeerBytes);
    // Another peer still has its share: a paying request is served meanwhile.
    expect((await collect(requesterOf(r, [w]).chat(TIER, ASK))).text.length).toBeGreaterThan(0);
    for (const stream of streams) stream.abort(new Error('attacker leaves'));
    await waitFor('every unfinished byte is released', () => budget.used === 0, 10_000);
  }, 60_000);

  it('refuses a large first frame from a stranger at its length prefix, and caps streams per connection (finding 8)', async () => {
    const { keys, params } = await fundedAccounts([1_000n]);
    const budget = new InboundBudget();
    const w = await paidNode(params, keys[0], [], { budget });
    await withEngine(w);
    const stranger = await strangerNode(w.p2p);

    const { stream, channel } = await rawInferStream(stranger, w.peerId);
    const reply = channel.read(10_000).catch((error: unknown) => error);
    await sendRaw(stream, varint(1024 * 1024));
    await sendRaw(stream, new Uint8Array(1024));
    expect(await reply).toBeInstanceOf(Error); // aborted by the worker, not answered
    await waitFor('the stream is gone', () => stream.status !== 'open', 5_000);

    // Streams beyond the per-connection limit are refused by libp2p itself.
    const tried = DEFAULT_MAX_INBOUND_INFER_STREAMS + 16;
    const opened = await Promise.allSettled(
      Array.from({ length: tried }, () =>
        rawInferStream(stranger, w.peerId).then(async (s) => {
          await s.channel.write(requestFrame('x'));
          return s;
        }),
      ),
    );
    const accepted = opened.filter((o) => o.status === 'fulfilled').length;
    expect(accepted).toBeLessThan(tried);
    for (const o of opened) if (o.status === 'fulfilled') o.value.stream.abort(new Error('done'));
  }, 60_000);

  it('refuses image URLs other than data: before any engine sees them (finding 22)', async () => {
    const { keys, params } = await fundedAccounts([1_000n, 5_000n]);
    const w = await paidNode(params, keys[0], []);
    const r = await paidNode(params, keys[1], [w.p2p.listenAddresses()[0]!]);
    await withEngine(w);
    const seen: string[] = [];
    w.worker.addEventListener('request', (event) => seen.push(event.detail.outcome));
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'file:///etc/passwd',
      'http://192.168.1.1/',
    ]) {
      const { channel } = await rawInferStream(r.p2p, w.peerId);
      const reply = channel.read(10_000).catch((error: unknown) => error);
      const request = {
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }],
        max_tokens: 5,
      };
      // Encoded by hand: the codec on our side refuses to send it.
      const body = encode(requestFrame('ssrf', request));
      const { stream } = channel;
      await sendRaw(stream, varint(body.byteLength));
      await sendRaw(stream, body);
      expect(await reply).toBeInstanceOf(Error);
    }
    expect(seen).toEqual([]);
    expect(w.worker.load(TIER)).toBe(0);
  }, 60_000);
});
