// `opengateway-node ledger`: the node's account as its ledger file records it (balance, reserved, earned,
// spent, recent blocks), the chains it follows and the fraud proofs it holds. Reads the file read-only, so it
// works with the node running or stopped.
import { readFile } from 'node:fs/promises';
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import { BLOCK_KIND_NAMES, BlockKind } from '../../../src-shared/ledger/block.ts';
import { toHex } from '../../../src-shared/ledger/bytes.ts';
import { offenderOf } from '../../../src-shared/ledger/fraud-proof.ts';
import { formatTokens } from '../../../src-shared/ledger/token-amount.ts';
import { LedgerStore } from '../../node/ledger/ledger-store.ts';
import { heldAheadInFile } from '../../node/ledger/payment-journal.ts';
import type { Block } from '../../../src-shared/ledger/block.ts';
import { nativeSha256 } from '../../node/ledger/native-crypto.ts';
import { defaultDataDir, locationsFor } from '../../node/locations.ts';
import { parseCommandArgs, UsageError, type CliCommand } from '../cli-command.ts';

const USAGE = `Usage: opengateway-node ledger [--data-dir DIR] [--json] [--limit N]

Shows this node's token account from its ledger file: balance, reserved, available, earned and spent
totals and its newest blocks; how many chains it follows and which accounts it holds fraud proofs against.

  --data-dir DIR   the node's data folder (default: ${defaultDataDir()})
  --json           print one JSON object instead of text
  --limit N        how many of the newest own blocks to list (default 20)`;

/** What `ledger --json` prints. */
export interface LedgerReport {
  readonly networkId: string;
  readonly account: string | null;
  readonly opened: boolean;
  readonly seq: number;
  readonly balance: string;
  /** Held by requests still running. */
  readonly reserved: string;
  /** Reserved ahead for the node's next request: still the user's, counted in `available`. */
  readonly heldAhead: string;
  readonly available: string;
  readonly earned: string;
  readonly spent: string;
  readonly chainsFollowed: number;
  readonly blocks: { readonly valid: number; readonly fork: number };
  readonly revokedAccounts: readonly string[];
  readonly history: readonly {
    seq: number;
    kind: string;
    ts: string;
    requestId: string | null;
    amount: string;
    balanceAfter: string;
  }[];
}

async function readAccount(path: string): Promise<Uint8Array | null> {
  try {
    const bytes = await readFile(path);
    if (bytes.length > 4096) return null;
    return privateKeyFromProtobuf(bytes).publicKey.raw;
  } catch {
    return null;
  }
}

export const ledgerCommand: CliCommand = {
  name: 'ledger',
  summary: "show this node's token balance, totals and recent ledger blocks",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
      limit: { type: 'string' },
    });
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 0 || limit > 10_000)
      throw new UsageError('--limit must be a whole number from 0 to 10000');
    const locations = locationsFor(values['data-dir'] ?? defaultDataDir(io.env));
    const opened = LedgerStore.openReadOnly(locations.ledgerDb, nativeSha256);
    if (opened === null)
      throw new UsageError(`no ledger at ${locations.ledgerDb} yet: start the node once to create it`);
    const { store, networkId } = opened;
    try {
      const account = await readAccount(locations.identityKey);
      const chain = account ? store.chainOf(account) : [];
      const head = chain[chain.length - 1];
      let earned = 0n;
      let spent = 0n;
      for (const block of chain) {
        if (block.body.kind === BlockKind.CREDIT) earned += block.body.amount;
        if (block.body.kind === BlockKind.SETTLE) spent -= block.body.amount;
      }
      const balance = head?.body.balanceAfter ?? 0n;
      const heldAhead = heldAheadOf(chain, heldAheadInFile(store.database));
      const reserved = (head?.body.reservedAfter ?? 0n) - heldAhead;
      const report: LedgerReport = {
        networkId: toHex(networkId),
        account: account ? toHex(account) : null,
        opened: head !== undefined,
        seq: chain.length,
        balance: formatTokens(balance),
        reserved: formatTokens(reserved),
        heldAhead: formatTokens(heldAhead),
        available: formatTokens(balance - reserved),
        earned: formatTokens(earned),
        spent: formatTokens(spent),
        chainsFollowed: store.cachedHeads().length,
        blocks: store.counts(),
        revokedAccounts: store.fraudProofs().map((p) => toHex(offenderOf(p))),
        history: chain
          .slice(-limit)
          .reverse()
          .map((b) => ({
            seq: Number(b.body.seq),
            kind: BLOCK_KIND_NAMES[b.body.kind],
            ts: new Date(Number(b.body.ts)).toISOString(),
            requestId: b.body.kind === BlockKind.OPEN ? null : toHex(b.body.requestId),
            amount: formatTokens(b.body.amount),
            balanceAfter: formatTokens(b.body.balanceAfter),
          })),
      };
      io.stdout(values.json ? JSON.stringify(report) : formatReport(report));
      return 0;
    } finally {
      store.close();
    }
  },
};

function formatReport(r: LedgerReport): string {
  const lines = [
    `Ledger of ${r.account ?? '(no identity key in this data dir)'} on network ${r.networkId.slice(0, 16)}…`,
    r.opened
      ? `  balance     ${r.balance} tokens (${r.reserved} reserved, ${r.available} available${r.heldAhead === '0' ? '' : `, of which ${r.heldAhead} reserved for the next request`})`
      : '  balance     0 (no OPEN block yet)',
    `  earned      ${r.earned}`,
    `  spent       ${r.spent}`,
    `  chains      ${r.chainsFollowed} followed, ${r.blocks.valid} blocks, ${r.blocks.fork} fork evidence`,
    `  revoked     ${r.revokedAccounts.length === 0 ? 'none' : r.revokedAccounts.join(', ')}`,
  ];
  if (r.history.length > 0) {
    lines.push('', 'Newest blocks');
    for (const h of r.history) {
      lines.push(
        `  ${String(h.seq).padStart(6)}  ${h.kind.padEnd(7)}  ${h.amount.padStart(14)}  → ${h.balanceAfter.padStart(14)}  ${h.ts}${h.requestId ? `  ${h.requestId.slice(0, 12)}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}

/** µT of the chain's open reservations whose request id is in `held` (reserved ahead of their request). */
function heldAheadOf(chain: readonly Block[], held: readonly Uint8Array[]): bigint {
  if (held.length === 0) return 0n;
  const wanted = new Set(held.map(toHex));
  const open = new Map<string, bigint>();
  let reservedBefore = 0n;
  for (const { body } of chain) {
    if (body.kind === BlockKind.RESERVE) open.set(toHex(body.requestId), body.reservedAfter - reservedBefore);
    else if (body.kind === BlockKind.SETTLE || body.kind === BlockKind.RELEASE)
      open.delete(toHex(body.requestId));
    reservedBefore = body.reservedAfter;
  }
  let sum = 0n;
  for (const [id, amount] of open) if (wanted.has(id)) sum += amount;
  return sum;
}
