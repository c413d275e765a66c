// Security finding 11 over real gossipsub and real ledgers (SQLite): one peer floods the region's reports
// topic with valid-looking reports (each about an account of its own that no chain holds, so every one is
// judged "unsettled" and makes the receiver pull a chain from it, which it never answers) and with junk. The
// receiver keeps only a bounded number per sender, its queue stays bounded, and an honest worker's report
// about a requester that really did not settle is still judged at once (not behind the flood's stalled pulls).
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from 'node:crypto';
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlock } from '../../../../src-shared/ledger/block-codec.ts';
import type { Block } from '../../../../src-shared/ledger/block.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import { createAck, decodeAck } from '../../../../src-shared/ledger/payment/ack.ts';
import { encodeNonSettlementReport } from '../../../../src-shared/ledger/payment/non-settlement.ts';
import { decodeBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { LEDGER_SYNC_PROTOCOL, reportsTopic } from '../../../../src-shared/protocol/index.ts';
import { DEFAULT_REPORT_RATE } from '../../../../src-main/node/ledger/ledger-network.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';
import {
  ASK,
  cleanup,
  collect,
  fundedAccounts,
  paidNode,
  requesterOf,
  runCleanup,
  TIER,
} from './paid-network-kit.ts';
import { neverSettling } from './hostile-payments.ts';
import { ScriptedEngineDouble, wordDeltas } from './scripted-engine.ts';

afterEach(runCleanup);

const TOPIC = reportsTopic('europe');

/** A report that passes every check a validator can make for free: a RESERVE and an ack signed by `key`. */
function lookalikeReport(template: Block, ackTs: bigint): { bytes: Uint8Array; reserveId: Uint8Array } {
  const secret = ed25519.utils.randomSecretKey();
  const pk = ed25519.getPublicKey(secret);
  const sign = (m: Uint8Array) => ed25519.sign(m, secret);
  const requestId = new Uint8Array(randomBytes(32));
  const reserve = createBlock({ ...template.body, account: pk, requestId }, sign, nativeSha256);
  const ack = createAck(
    {
      net: template.body.net,
      requester: pk,
      requestId,
      reserveId: reserve.id,
      n: 8,
      outDigest: new Uint8Array(32),
      ts: ackTs,
    },
    sign,
    nativeSha256,
  );
  return { bytes: encodeNonSettlementReport({ reserve, ack }), reserveId: reserve.id };
}

describe('reports flood (finding 11)', () => {
  it('bounds what one peer’s flood of reports costs, and an honest report is still judged', async () => {
    const {
      keys: [keyR, keyW, keyV],
      params,
    } = await fundedAccounts([5_000n, 1_000n, 1_000n]);
    // W serves R, who never settles; W judges late (it reports by hand below). V judges reports after 1 s.
    const w = await paidNode(params, keyW, [], {
      worker: { settleWaitMs: 300 },
      payments: { settleDeadlineMs: 10 * 60_000 },
    });
    const v = await paidNode(params, keyV, [w.p2p.listenAddresses()[0]!], {
      payments: { settleDeadlineMs: 1_000 },
    });
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    await r.p2p.libp2p.dial(multiaddr(w.p2p.listenAddresses()[0]));
    // The attacker: a bare libp2p node on the reports topic whose ledger-sync streams never answer.
    const attacker = await startLoopbackP2p({
      bootstrap: [v.p2p.listenAddresses()[0]!],
      scoredTopics: [TOPIC],
    });
    cleanup.push(() => attacker.stop());
    await attacker.libp2p.handle(LEDGER_SYNC_PROTOCOL, () => new Promise(() => undefined), {
      maxInboundStreams: 1024,
    });
    const pubsub = attacker.libp2p.services.pubsub;
    pubsub.subscribe(TOPIC);
    const vPubsub = v.p2p.libp2p.services.pubsub;
    await waitFor('V meshes with the attacker and with W on the reports topic', () =>
      [attacker.peerId, w.peerId].every((peer) =>
        vPubsub.getMeshPeers(TOPIC).some((p) => p.toString() === peer),
      ),
    );

    // The honest evidence: R took 40 tokens, acknowledged them, and never settled.
    w.engine = new ScriptedEngineDouble(wordDeltas(40));
    await collect(requesterOf(r, [w], neverSettling(r.requesterPayments)).chat(TIER, ASK));
    await waitFor('W journaled its evidence', () =>
      w.ledger.journal.judgements().some((j) => j.ack !== null),
    );
    const evidence = w.ledger.journal.judgements().find((j) => j.ack !== null)!;
    const honest = { reserve: decodeBlock(evidence.reserve, nativeSha256)!, ack: decodeAck(evidence.ack!)! };
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past V's settle deadline for that ack

    // The flood: 200 lookalikes, then 200 junk messages.
    const lookalikes = Array.from({ length: 200 }, () =>
      lookalikeReport(honest.reserve, BigInt(Date.now() - 60_000)),
    );
    let deepest = 0;
    for (const { bytes } of lookalikes) {
      await pubsub.publish(TOPIC, bytes).catch(() => undefined);
      deepest = Math.max(deepest, v.network.reportsQueued);
    }
    for (let i = 0; i < 200; i++)
      await pubsub.publish(TOPIC, new Uint8Array(randomBytes(300))).catch(() => undefined);

    // The honest report, from W, while V's judging of the flood is stuck on pulls the attacker never answers.
    await w.network.publishReport(honest);
    // Behind the flood in one line, it would wait 10 s (the pull timeout) for each of the ~25 attacker's
    // reports queued before it: about 250 s. Judged in turn, it waits for none of them; the bound is a quarter
    // of that, for a machine as loaded as CI's parallel run (27 s was seen there).
    await waitFor(
      'V judged R unsettled',
      () => v.ledger.reputation().get(toHex(r.ledger.account))?.failedCount === 1,
      60_000,
    );

    // What V took of the flood: the sender's burst (and what it earned back meanwhile), no more; its queue of
    // that sender's reports never grew past the per-sender bound.
    const started = lookalikes.filter(({ reserveId }) => v.ledger.journal.knowsReport(reserveId)).length;
    const taken = started + v.network.reportsQueued;
    expect(taken).toBeGreaterThanOrEqual(1);
    expect(taken).toBeLessThanOrEqual(DEFAULT_REPORT_RATE.burst + 5);
    expect(deepest).toBeLessThanOrEqual(16);
    // The junk cost the attacker its standing with V.
    expect(vPubsub.getScore(attacker.peerId)).toBeLessThan(0);
  }, 150_000);
});
