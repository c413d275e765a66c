// Child process of the crash test: appends to its own chain and receives another chain's blocks, killing
// itself with SIGKILL at a chosen point (or being killed from outside). Prints "P <seq> <id>" for every own
// block it published (after commit). `check` mode restarts the service and reports what it finds.
import { readFileSync, writeSync } from 'node:fs';
import { buildCredit } from '../../../../src-shared/ledger/block-builders.ts';
import { decodeBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import { LedgerService, type LedgerHookPoint } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromSeed } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { fingerprintOf, requestIdOf, T0, testAccount } from '../../../src-shared/ledger/ledger-fixtures.ts';
import { crashParams, CRASH_OWNER, CRASH_PEER } from './crash-params.ts';
import { settleOwnRequest } from './ledger-service-fixtures.ts';

const [mode, dbPath, feedPath, crashPoint, crashAfterText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const owner = testAccount(CRASH_OWNER);
const params = crashParams();
let hits = 0;
const crashAfter = Number(crashAfterText ?? 0);

const service = new LedgerService(
  { signer: signerFromSeed(owner.secret, owner.pk), fingerprint: fingerprintOf(1) },
  {
    params,
    dbPath,
    now: () => T0,
    testHook: (point: LedgerHookPoint) => {
      if (mode === 'run' && point === crashPoint && ++hits >= crashAfter)
        process.kill(process.pid, 'SIGKILL');
    },
  },
);
service.addEventListener('block:publish', (event) => {
  writeSync(1, `P ${event.detail.body.seq} ${toHex(event.detail.id)}\n`);
});
await service.start();

if (mode === 'check') {
  const view = service.view;
  const chain = view.chain(owner.pk);
  const c = view.conservation();
  const peer = view.chain(testAccount(CRASH_PEER).pk);
  writeSync(
    1,
    JSON.stringify({
      consistent: service.headsConsistentAtStart,
      ownIds: chain ? chain.ids.map(toHex) : [],
      peerSeq: peer ? peer.ids.length : 0,
      conserved: c.balances + c.unclaimedOutputs + c.unopenedGenesis === c.genesis,
      balance: String(view.balanceOf(owner.pk)),
    }) + '\n',
  );
  await service.stop();
  process.exit(0);
}

// run: alternate own self-paid requests (RESERVE, SETTLE, CREDIT) with receiving the peer's blocks.
const feed = readFileSync(feedPath)
  .toString('utf8')
  .trim()
  .split('\n')
  .map((hex) => decodeBlock(Buffer.from(hex, 'hex'))!);
writeSync(1, 'READY\n');
service.ensureOpen();
// Bounded, so a trial whose crash point is never reached still ends soon.
for (let round = 0; round < 30; round++) {
  const peerSeq = service.view.chain(testAccount(CRASH_PEER).pk)?.ids.length ?? 0;
  service.receive(feed.slice(peerSeq, peerSeq + 3));
  const seq = service.view.chain(owner.pk)!.ids.length;
  settleOwnRequest(service, params, {
    requestId: requestIdOf(owner, seq),
    worker: owner.pk,
    maxPrompt: 10,
    maxCompletion: 10,
    prompt: 5,
    completion: 5,
    quoteId: new Uint8Array(32).fill(1),
    outputDigest: new Uint8Array(32).fill(2),
  });
  const claim = service.view.unclaimedFor(owner.pk)[0]!;
  service.appendOwn((s) => buildCredit(params, s!, T0, claim));
  // Yield so an outside SIGKILL can land between appends as well as inside them.
  await new Promise((resolve) => setImmediate(resolve));
}
await service.stop();
