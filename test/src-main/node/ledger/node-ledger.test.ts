// The node's ledger opens its account after a first sync with peers, and still opens, after a bounded wait,
// when no peer it knows speaks ledger sync.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityService } from '../../../../src-main/node/identity/identity-service.ts';
import {
  HARDWARE_ID_KINDS,
  type HardwareIdKind,
  type HardwareIds,
} from '../../../../src-main/node/identity/machine-fingerprint.ts';
import { NodeLedger } from '../../../../src-main/node/ledger/node-ledger.ts';
import { locationsFor } from '../../../../src-main/node/locations.ts';
import { ensureDataDir } from '../../../../src-main/node/storage/data-dir.ts';
import { DEFAULT_LEDGER_PARAMS, MICRO_PER_TOKEN } from '../../../../src-shared/ledger/ledger-params.ts';
import { startLoopbackP2p } from '../p2p/loopback-network.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function machine(id: string): HardwareIds {
  const ids = Object.fromEntries(HARDWARE_ID_KINDS.map((kind) => [kind, [] as string[]])) as Record<
    HardwareIdKind,
    string[]
  >;
  ids['system-uuid'] = [id];
  return ids;
}

async function nodeLedger(lines: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'og-node-ledger-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  await ensureDataDir(dir);
  const identity = new IdentityService(
    { locations: locationsFor(dir) },
    { readHardwareIds: () => Promise.resolve(machine('machine-one')) },
  );
  await identity.start();
  const ledger = new NodeLedger(
    {
      identity,
      params: {
        ...DEFAULT_LEDGER_PARAMS,
        networkId: new Uint8Array(32).fill(3),
        genesis: [{ account: identity.privateKey.publicKey.raw, amount: 2_000n * MICRO_PER_TOKEN }],
        prices: {},
      },
      dbPath: join(dir, 'ledger.sqlite'),
      log: (line) => lines.push(line),
    },
    { openRetryMs: 50, openWithoutSyncAfterMs: 400, antiEntropyMs: 0 },
  );
  await ledger.start();
  cleanup.push(() => ledger.stop());
  return { ledger, identity };
}

describe('the node’s ledger', () => {
  it('opens at once on a node with no peers (the first node of a network)', async () => {
    const lines: string[] = [];
    const { ledger, identity } = await nodeLedger(lines);
    const p2p = await startLoopbackP2p({}, identity.privateKey);
    cleanup.push(() => p2p.stop());
    await ledger.join(p2p.libp2p, 'europe');
    cleanup.push(() => ledger.leave());
    await ledger.whenOpen(AbortSignal.timeout(5_000));
    expect(ledger.service.summary().balance).toBe('2,000');
    expect(lines).toContain('ledger: account opened with 2000 tokens');
  });

  it('waits for a first sync while its peers do not speak ledger sync, then opens anyway and says so', async () => {
    const lines: string[] = [];
    const { ledger, identity } = await nodeLedger(lines);
    const stranger = await startLoopbackP2p();
    cleanup.push(() => stranger.stop());
    const p2p = await startLoopbackP2p({ bootstrap: [stranger.listenAddresses()[0]!] }, identity.privateKey);
    cleanup.push(() => p2p.stop());
    const deadline = Date.now() + 10_000;
    while (p2p.connectionCount() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await ledger.join(p2p.libp2p, 'europe');
    cleanup.push(() => ledger.leave());
    expect(ledger.opened).toBe(false);
    await ledger.whenOpen(AbortSignal.timeout(10_000));
    expect(lines.some((line) => /first sync with .* failed/.test(line))).toBe(true);
    expect(lines).toContain(
      'ledger: no peer could share the ledger; opening the account without a first sync',
    );
    expect(ledger.service.summary().opened).toBe(true);
  });
});
