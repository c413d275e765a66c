// Paid requests over /og/infer between real libp2p nodes with real ledgers (SQLite) and the EXO double:
// quote → RESERVE → acks → co-signed receipt → SETTLE → CREDIT, admission, the ack allowance, and a requester
// that never settles.
import { connectionAddresses } from '../../../../src-main/node/routing/connection-addresses.ts';
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockKind } from '../../../../src-shared/ledger/block.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import { createBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { MICRO_PER_TOKEN } from '../../../../src-shared/ledger/ledger-params.ts';
import { reportsTopic } from '../../../../src-shared/protocol/index.ts';
import { InsufficientBalanceError } from '../../../../src-main/node/ledger/errors.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import type { ClusterDirectory } from '../../../../src-main/node/routing/cluster-directory.ts';
import { InferRequester } from '../../../../src-main/node/routing/infer-requester.ts';
import { shardShareholders } from '../../../../src-main/node/routing/shard-shares.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import {
  ASK,
  collect,
  deltasBeforeError,
  fundedAccounts,
  paidNode,
  PRICE,
  requesterOf,
  runCleanup,
  TIER,
  withEngine,
} from './paid-network-kit.ts';
import { hostileRequester, neverSettling } from './hostile-payments.ts';

afterEach(runCleanup);

describe('paid requests over /og/infer', () => {
  it('moves exactly the cost from the requester to the worker, the same on every node after gossip', async () => {
    const {
      keys: [keyR, keyW, keyO],
      params,
    } = await fundedAccounts([5_000n, 1_000n, 1_000n]);
    const w = await paidNode(params, keyW, []);
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    const observer = await paidNode(params, keyO, [w.p2p.listenAddresses()[0]!]);
    await withEngine(w);
    // The worker never saw the requester's chain: it pulls it when the RESERVE arrives.
    expect(w.ledger.view.chain(r.ledger.account)).toBeUndefined();

    const before = {
      r: r.ledger.view.balanceOf(r.ledger.account),
      w: w.ledger.view.balanceOf(w.ledger.account),
    };
    const { text, usage } = await collect(requesterOf(r, [w]).chat(TIER, ASK));
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.type).toBe('usage');
    const counts = usage?.type === 'usage' ? usage.usage : null;
    expect(counts?.completionTokens).toBe(40);

    // Paid for the engine's prompt count and every token that arrived, at the tier's price.
    const cost = PRICE * BigInt(counts!.promptTokens + counts!.completionTokens);
    await waitFor('the worker claimed its payment', () => w.settlements.length === 1);
    expect(w.settlements[0]).toMatchObject({ kind: 'settled', amount: cost });
    await waitFor(
      'every node sees both balances moved',
      () =>
        [r, w, observer].every(
          (node) =>
            node.ledger.view.balanceOf(r.ledger.account) === before.r - cost &&
            node.ledger.view.balanceOf(w.ledger.account) === before.w + cost,
        ),
      20_000,
    );
    const kinds = r.ledger.history(10).map((entry) => entry.kind);
    expect(kinds.slice(0, 2)).toEqual(['SETTLE', 'RESERVE']);
    expect(w.ledger.history(1)[0]?.kind).toBe('CREDIT');
    // Nothing stays reserved; the sum over all accounts is what genesis issued.
    expect(r.ledger.view.chain(r.ledger.account)?.reserved).toBe(0n);
    const sums = observer.ledger.view.conservation();
    expect(sums.balances + sums.unclaimedOutputs + sums.unopenedGenesis).toBe(sums.genesis);
  }, 60_000);

  it('refuses a requester below 1,000 tokens with a clear message, before any worker runs', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([999n, 1_000n]);
    const w = await paidNode(params, keyW, []);
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    await withEngine(w);
    const requests: string[] = [];
    w.worker.addEventListener('request', (event) => requests.push(event.detail.outcome));

    const error = await collect(requesterOf(r, [w]).chat(TIER, ASK)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientBalanceError);
    expect((error as Error).message).toMatch(/balance below 1,000 tokens: 999 available/);
    expect(requests).toEqual([]);
    expect(r.ledger.view.chain(r.ledger.account)?.ids.length).toBe(1); // no RESERVE was signed
  }, 60_000);

  it('sends a requester that stops acknowledging no more than the allowance, and it pays for what arrived', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const w = await paidNode(params, keyW, [], { worker: { ackTimeoutMs: 500 } });
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    await withEngine(w);
    // A requester whose payment never acknowledges (the rest of its ledger behaves).
    const silent = hostileRequester(r.requesterPayments, (payment) => ({
      // Counts what arrives (so it can pay for it) but never sends the ack.
      received: (deltas) => (payment.received(deltas), null),
      finalAck: () => null,
    }));
    const { received, error } = await deltasBeforeError(
      requesterOf(r, [w], silent).chat(TIER, { ...ASK, max_tokens: 300 }),
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/stopped acknowledging/);
    expect(received).toBe(params.allowance);
    // It settled alone for the tokens that arrived (and an estimate of the prompt), nothing more.
    const settle = r.ledger.view.blockAt(r.ledger.account, 3n)!.body;
    expect(settle.kind).toBe(BlockKind.SETTLE);
    expect(settle.completionTokens).toBe(params.allowance);
  }, 60_000);

  it('judges a requester that never settles by its own signed evidence, and the region believes the report', async () => {
    const {
      keys: [keyR, keyW, keyO],
      params,
    } = await fundedAccounts([5_000n, 1_000n, 1_000n]);
    const timings = { worker: { settleWaitMs: 300 }, payments: { settleDeadlineMs: 300 } };
    const w = await paidNode(params, keyW, [], timings);
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    const observer = await paidNode(params, keyO, [w.p2p.listenAddresses()[0]!], timings);
    await waitFor('the reports mesh', () =>
      w.p2p.libp2p.services.pubsub
        .getSubscribers(reportsTopic('europe'))
        .some((p) => p.toString() === observer.peerId),
    );
    await withEngine(w);
    const unpaying = neverSettling(r.requesterPayments);
    const { text } = await collect(requesterOf(r, [w], unpaying).chat(TIER, { ...ASK, max_tokens: 70 }));
    expect(text.length).toBeGreaterThan(0);
    await waitFor('the worker judged the requester', () => w.settlements.length === 1, 10_000);
    expect(w.settlements[0]).toEqual({ kind: 'unsettled', requester: toHex(r.ledger.account) });
    const record = w.ledger.reputation().get(toHex(r.ledger.account));
    expect(record?.failedCount).toBe(1);
    expect(record?.score).toBeLessThan(0);
    expect(w.ledger.view.chain(r.ledger.account)?.reserved).toBeGreaterThan(0n);

    // The observer never dealt with R: it judges the gossiped report on its own (after pulling R's chain).
    await waitFor(
      'the observer counted the report',
      () => observer.ledger.reputation().get(toHex(r.ledger.account))?.failedCount === 1,
      10_000,
    );
    // The same report again, or a tampered one, changes nothing.
    const report = w.reports[0]!;
    const tampered = Uint8Array.from(report);
    tampered[tampered.length - 5]! ^= 0x01;
    for (const bytes of [report, tampered])
      await w.p2p.libp2p.services.pubsub.publish(reportsTopic('europe'), bytes).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(observer.ledger.reputation().get(toHex(r.ledger.account))?.failedCount).toBe(1);
  }, 60_000);

  it('gives a worker revoked by a fraud proof no work, and graylists it in gossip', async () => {
    const {
      keys: [keyR, keyA, keyB],
      params,
    } = await fundedAccounts([5_000n, 1_000n, 1_000n]);
    const a = await paidNode(params, keyA, []);
    const b = await paidNode(params, keyB, [a.p2p.listenAddresses()[0]!]);
    // R knows both workers' addresses (its requests dial them directly).
    const r = await paidNode(params, keyR, [a.p2p.listenAddresses()[0]!, b.p2p.listenAddresses()[0]!]);
    await Promise.all([withEngine(a), withEngine(b)]);
    // A signs a second OPEN: two bodies at one seq, a fork R proves on its own.
    const open = a.ledger.view.blockAt(a.ledger.account, 1n)!;
    const forged = createBlock(
      { ...open.body, ts: open.body.ts + 1n },
      (m) => new Uint8Array(keyA.sign(m) as Uint8Array),
      nativeSha256,
    );
    r.ledger.receive([open]);
    expect(r.ledger.receive([forged])[0]!.status).toBe('fork');
    expect(r.ledger.view.isRevoked(a.ledger.account)).toBe(true);

    const requester = requesterOf(r, [a, b]);
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const routed: string[] = [];
      await collect(requester.chat(TIER, ASK, { onRouted: (peer) => routed.push(peer) }));
      served.push(...routed);
    }
    expect(served).toEqual([b.peerId, b.peerId, b.peerId, b.peerId]);
    // Gossipsub scores only the peers it exchanges gossip with: make sure A is one of R's, then watch.
    const pubsub = r.p2p.libp2p.services.pubsub;
    await r.p2p.libp2p.dial(multiaddr(a.p2p.listenAddresses()[0]));
    await waitFor(
      'A is a gossip peer of R',
      () => pubsub.getPeers().some((peer) => peer.toString() === a.peerId),
      20_000,
    );
    // Below gossipsub's graylist threshold (-80), whatever A's good deliveries earned it.
    await waitFor('A is graylisted at R', () => pubsub.getScore(a.peerId) <= -80, 20_000);
  }, 90_000);

  it('pays each machine of a multi-machine EXO instance its share', async () => {
    const {
      keys: [keyR, keyW, keyS],
      params,
    } = await fundedAccounts([5_000n, 1_000n, 1_000n]);
    // S runs the other EXO node of W's instance on its own machine (127.0.0.2, where the double's EXO reaches
    // its second node); it announced that node id in its heartbeats, and W's connection to it comes from there.
    const announced = { engineNode: '' };
    const shard = { peerId: '', status: 'up' as const, engineReady: false, capacity: 0, load: 0 };
    const w = await paidNode(params, keyW, [], {
      shareholders: (_tier, engine) =>
        shardShareholders(
          engine.placement,
          [{ ...shard, engineNode: announced.engineNode }],
          w.peerId,
          connectionAddresses(w.p2p.libp2p),
        ),
    });
    const s = await paidNode(params, keyS, [], { listen: ['/ip4/127.0.0.2/tcp/0'] });
    await w.p2p.libp2p.dial(multiaddr(s.p2p.listenAddresses()[0]));
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    shard.peerId = s.peerId;
    // A model too big for one machine: the double's EXO places it over this node and a LAN peer.
    await withEngine(w, { nodes: 2, ramMb: 600 }, 600);
    const placement = w.engine!.placement!;
    expect(placement.shares).toHaveLength(2);
    announced.engineNode = placement.shares.find((x) => x.engineNodeId !== placement.localNode)!.engineNodeId;

    const directory: ClusterDirectory = {
      region: () => 'europe',
      members: () => [
        { peerId: w.peerId, status: 'up', engineReady: true, capacity: 2, load: w.worker.load(TIER) },
        { ...shard, engineNode: announced.engineNode },
      ],
    };
    const requester = new InferRequester(
      { dialer: r.p2p.libp2p, directory, payments: r.requesterPayments },
      { admitTimeoutMs: 5_000, idleTimeoutMs: 10_000, spareStreamMs: 0 },
    );
    const { usage } = await collect(requester.chat(TIER, ASK));
    const counts = usage?.type === 'usage' ? usage.usage : null;
    const cost = PRICE * BigInt(counts!.promptTokens + counts!.completionTokens);

    const settle = r.ledger.view.blockAt(r.ledger.account, 3n)!.body;
    expect(settle.kind).toBe(BlockKind.SETTLE);
    expect(settle.outputs.map((o) => toHex(o.payee)).sort()).toEqual(
      [toHex(w.ledger.account), toHex(s.ledger.account)].sort(),
    );
    expect(settle.outputs.reduce((sum, o) => sum + o.amount, 0n)).toBe(cost);
    // Each claims its own output; together they earned exactly what the requester paid.
    await waitFor(
      'S saw the SETTLE',
      () => s.ledger.view.block(r.ledger.view.chain(r.ledger.account)!.ids[2]!) !== undefined,
    );
    s.ledger.claimCredits();
    await waitFor('W claimed', () => w.ledger.view.balanceOf(w.ledger.account) > 1_000n * MICRO_PER_TOKEN);
    const earned =
      w.ledger.view.balanceOf(w.ledger.account) +
      s.ledger.view.balanceOf(s.ledger.account) -
      2_000n * MICRO_PER_TOKEN;
    expect(earned).toBe(cost);
    expect(s.ledger.view.balanceOf(s.ledger.account)).toBeGreaterThan(1_000n * MICRO_PER_TOKEN);
  }, 60_000);
});
