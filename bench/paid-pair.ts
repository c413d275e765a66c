// Two libp2p nodes on 127.0.0.1 with real ledgers (SQLite in a temporary folder), requester and worker, the
// worker serving `engine`: the paid path of bench:routing. The worker learns the requester's chain from the
// RESERVE and SETTLE blocks it receives in-band and from the requester's published blocks (gossip's part).
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../src-main/node/engine/engine.ts';
import { LedgerService } from '../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../src-main/node/ledger/ledger-signer.ts';
import { LedgerRequesterPayments } from '../src-main/node/ledger/requester-payments.ts';
import { LedgerWorkerPayments } from '../src-main/node/ledger/worker-payments.ts';
import { InferRequester } from '../src-main/node/routing/infer-requester.ts';
import { InferWorker } from '../src-main/node/routing/infer-worker.ts';
import { BlockKind } from '../src-shared/ledger/block.ts';
import {
  DEFAULT_LEDGER_PARAMS,
  MICRO_PER_TOKEN,
  type LedgerParams,
} from '../src-shared/ledger/ledger-params.ts';
import { benchNode, oneWorkerDirectory } from './routed-pair.ts';

export interface PaidPair {
  readonly requester: InferRequester;
  /** Blocks on the requester's chain so far (two per request, RESERVE and SETTLE, and two per unused held one). */
  requesterBlocks(): number;
  /** Resolves once the worker took every payment (its CREDIT committed): the next measurement starts clean. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export async function paidPair(engine: Engine, capacity: number): Promise<PaidPair> {
  const dir = await mkdtemp(join(tmpdir(), 'og-bench-paid-'));
  const [keyR, keyW] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519')]);
  const params: LedgerParams = {
    ...DEFAULT_LEDGER_PARAMS,
    networkId: new Uint8Array(32).fill(0x5a),
    genesis: [{ account: keyR.publicKey.raw, amount: 1_000_000_000n * MICRO_PER_TOKEN }],
    prices: { 'model-a': { pricePerUnit: 1_000n, promptWeight: 1n, completionWeight: 1n } },
  };
  const start = async (key: typeof keyR, name: string, machine: number) => {
    const p2p = await benchNode(key);
    const signer = signerFromIdentity(key);
    const ledger = new LedgerService(
      { signer, fingerprint: [new Uint8Array(32).fill(machine)] },
      { params, dbPath: join(dir, `${name}.sqlite`) },
    );
    await ledger.start();
    ledger.ensureOpen();
    return { p2p, signer, ledger };
  };
  const r = await start(keyR, 'requester', 1);
  const w = await start(keyW, 'worker', 2);
  w.ledger.receive([r.ledger.view.blockAt(r.ledger.account, 1n)!]);
  // Gossip between the two, as the region topic does: blocks the worker does not get in-band (the zero SETTLE
  // of a reservation held ahead and never used) reach it all the same.
  r.ledger.addEventListener('block:publish', (event) => {
    try {
      w.ledger.receive([event.detail]);
    } catch {
      // The worker's ledger stopped first.
    }
  });
  const workerPayments = new LedgerWorkerPayments({
    ledger: w.ledger,
    signer: w.signer,
    params: () => params,
    pullAccount: () => Promise.reject(new Error('the bench worker has the requester’s chain')),
  });
  let settlements = 0;
  workerPayments.addEventListener('settlement', () => (settlements += 1));
  const worker = new InferWorker(
    {
      host: w.p2p.libp2p,
      engines: { engineFor: () => engine },
      payments: workerPayments,
      selfPeerId: w.p2p.peerId,
    },
    { capacityPerTier: capacity },
  );
  await worker.start();
  await r.p2p.libp2p.dial(multiaddr(w.p2p.listenAddresses()[0]));
  const requester = new InferRequester(
    {
      dialer: r.p2p.libp2p,
      directory: oneWorkerDirectory(w.p2p.peerId, worker),
      payments: new LedgerRequesterPayments({
        ledger: r.ledger,
        signer: r.signer,
        params: () => params,
        selfPeerId: r.p2p.peerId,
      }),
    },
    // As the node runs it (routing-service.ts): offered quotes are reserved ahead.
    { reserveAhead: true },
  );
  // The requester's SETTLEs of requests that ran (a reservation held ahead and never used settles at zero,
  // and no worker hears of it), counted once each as the chain grows.
  let counted = 0;
  let paid = 0;
  const paidSettles = () => {
    const ids = r.ledger.view.chain(r.ledger.account)?.ids ?? [];
    for (; counted < ids.length; counted++) {
      const body = r.ledger.view.block(ids[counted]!)?.body;
      if (body?.kind === BlockKind.SETTLE && body.completionTokens > 0) paid++;
    }
    return paid;
  };
  return {
    requester,
    requesterBlocks: () => r.ledger.view.chain(r.ledger.account)?.ids.length ?? 0,
    async settled() {
      const deadline = Date.now() + 5_000;
      while (settlements < paidSettles() && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 1));
    },
    async stop() {
      requester.close();
      workerPayments.stop();
      await worker.stop();
      await Promise.all([r.p2p.stop(), w.p2p.stop()]);
      await Promise.all([r.ledger.stop(), w.ledger.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
