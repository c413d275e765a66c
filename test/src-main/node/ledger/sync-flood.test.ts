// Sync flooding (issue 18 item 6): a peer that floods /og/ledger-sync with the most expensive request (a
// walk and sort of every head) over real libp2p gets its bounded share of work and short refusals beyond
// it, while the node stays up and an honest peer still syncs everything from it.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { lpStream } from '@libp2p/utils';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpen } from '../../../../src-shared/ledger/block-builders.ts';
import {
  decodeSyncResponse,
  encodeSyncRequest,
  MAX_SYNC_FRAME_BYTES,
} from '../../../../src-shared/ledger/sync/sync-messages.ts';
import { FRAUD_TOPIC, LEDGER_SYNC_PROTOCOL, ledgerTopic } from '../../../../src-shared/protocol/index.ts';
import { LedgerNetwork } from '../../../../src-main/node/ledger/ledger-network.ts';
import { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { SYNC_COST_ALL } from '../../../../src-main/node/ledger/sync-answer.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p } from '../p2p/loopback-network.ts';
import { sign, T0, testAccount, testParams } from '../../../src-shared/ledger/ledger-fixtures.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const params = testParams([]);
const ACCOUNTS = 300;
const BURST = 400;

async function syncNode(bootstrap: string[], syncRate?: { burst: number; perMinute: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'og-sync-flood-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const key = await generateKeyPair('Ed25519');
  const p2p = await startLoopbackP2p({ bootstrap, scoredTopics: [ledgerTopic('europe'), FRAUD_TOPIC] }, key);
  cleanup.push(() => p2p.stop());
  const ledger = new LedgerService(
    { signer: signerFromIdentity(key), fingerprint: [new Uint8Array(32).fill(9)] },
    { params, dbPath: join(dir, 'ledger.sqlite'), now: () => T0 },
  );
  await ledger.start();
  cleanup.push(() => ledger.stop());
  const network = new LedgerNetwork(
    { libp2p: p2p.libp2p, ledger },
    {
      region: 'europe',
      antiEntropyMs: 0,
      // A frozen clock: nothing is earned back during the flood, so the bound is exact.
      ...(syncRate ? { syncRate: { ...syncRate, now: () => 0 } } : {}),
    },
  );
  await network.start();
  cleanup.push(() => network.stop());
  return { p2p, ledger, network };
}

/**
 * One raw sync request from `from` to `to`: the response's type, or 'failed' when the stream failed three
 * times (a connection closed under the flood is dialled again, as a real attacker would).
 */
async function ask(from: P2pService, to: P2pService): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await askOnce(from, to);
    if (answer !== 'failed') return answer;
  }
  return 'failed';
}

async function askOnce(from: P2pService, to: P2pService): Promise<string> {
  try {
    const stream = await from.libp2p.dialProtocol(multiaddr(to.listenAddresses()[0]), LEDGER_SYNC_PROTOCOL, {
      signal: AbortSignal.timeout(10_000),
    });
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES });
    await lp.write(encodeSyncRequest({ type: 'get-heads-after', after: new Uint8Array(0) }));
    const response = decodeSyncResponse((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray());
    await stream.close();
    return response?.type ?? 'malformed';
  } catch {
    return 'failed';
  }
}

describe('sync flooding', () => {
  it('bounds the work one peer gets from the sync server and keeps serving everyone else', async () => {
    const server = await syncNode([], { burst: BURST, perMinute: 60 });
    const opens = Array.from({ length: ACCOUNTS }, (_, i) => {
      const account = testAccount(1_000 + i);
      return sign(
        account,
        buildOpen(
          params,
          account.pk,
          T0,
          { fingerprint: [new Uint8Array(32).fill(i & 0xff)], inherits: null },
          0n,
        ),
      );
    });
    for (const verdict of server.ledger.receive(opens)) expect(verdict.status).toBe('valid');

    // The flood: 608 walks of every head, 16 at a time.
    const attacker = await startLoopbackP2p();
    cleanup.push(() => attacker.stop());
    // One settled connection first (streams opened while two connections race can be reset).
    await attacker.libp2p.dial(multiaddr(server.p2p.listenAddresses()[0]));
    await attacker.libp2p.services.ping.ping(multiaddr(server.p2p.listenAddresses()[0]));
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 38; round++) {
      const answers = await Promise.all(Array.from({ length: 16 }, () => ask(attacker, server.p2p)));
      for (const answer of answers) outcomes.set(answer, (outcomes.get(answer) ?? 0) + 1);
    }
    // Its share: the burst's worth of full walks, and short refusals for the rest.
    expect(outcomes.get('heads')).toBe(Math.floor(BURST / SYNC_COST_ALL));
    expect(server.network.served.answered).toBe(Math.floor(BURST / SYNC_COST_ALL));
    expect(outcomes.get('failed') ?? 0).toBe(0);
    expect(outcomes.get('error')).toBe(38 * 16 - Math.floor(BURST / SYNC_COST_ALL));

    // The node still serves: an honest newcomer syncs every account from it.
    const honest = await syncNode([server.p2p.listenAddresses()[0]!]);
    await honest.p2p.libp2p.dial(multiaddr(server.p2p.listenAddresses()[0]));
    await honest.network.syncWith(server.p2p.peerId);
    expect(honest.ledger.view.accounts().length).toBe(ACCOUNTS);
  }, 120_000);
});
