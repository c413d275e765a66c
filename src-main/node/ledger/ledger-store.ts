// The ledger's SQLite file (ref/ledger-design.md §9): WAL, synchronous=FULL, numbered migrations. Blocks are
// the only truth; `heads` is a cache written in the same transaction and recomputed at every start.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Block } from '../../../src-shared/ledger/block.ts';
import { blockFromParts } from '../../../src-shared/ledger/block-codec.ts';
import { bytesEqual } from '../../../src-shared/ledger/bytes.ts';
import {
  decodeFraudProof,
  encodeFraudProof,
  offenderOf,
  type FraudProof,
} from '../../../src-shared/ledger/fraud-proof.ts';
import type { Hasher } from '../../../src-shared/ledger/hash.ts';
import { LedgerCorruptError, LedgerNetworkMismatchError, LedgerSchemaTooNewError } from './errors.ts';
import { LEDGER_MIGRATIONS, migrate } from './ledger-migrations.ts';
import { DatabaseSync, type DatabaseSyncType } from './sqlite.ts';

type Statement = ReturnType<DatabaseSyncType['prepare']>;

/** A chain head as cached in the database. */
export interface CachedHead {
  readonly account: Uint8Array;
  readonly seq: bigint;
  readonly id: Uint8Array;
  readonly balance: bigint;
  readonly reserved: bigint;
}

export interface StoredBlock {
  readonly block: Block;
  readonly own: boolean;
  readonly published: boolean;
}

export class LedgerStore {
  readonly #db: DatabaseSyncType;
  readonly #hasher: Hasher;
  /** Statements of the hot paths (own appends, receives), prepared once. */
  readonly #prepared = new Map<string, Statement>();

  private constructor(db: DatabaseSyncType, hasher: Hasher) {
    this.#db = db;
    this.#hasher = hasher;
  }

  /** Open (creating if needed) the ledger file of `networkId`; refuses a file of another network. */
  static open(path: string, networkId: Uint8Array, hasher: Hasher): LedgerStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path);
    try {
      db.exec('PRAGMA journal_mode = WAL');
      // FULL, not NORMAL: losing a block already sent and re-signing its seq would be a self-inflicted fork.
      db.exec('PRAGMA synchronous = FULL');
      db.exec('PRAGMA foreign_keys = ON');
      db.exec('PRAGMA busy_timeout = 5000');
      migrate(db, (version) => {
        throw new LedgerSchemaTooNewError(
          `the ledger at ${path} has schema ${version}, newer than this version of OpenGateway understands; update OpenGateway`,
        );
      });
      const row = db.prepare("SELECT value FROM meta WHERE key = 'network'").get() as
        { value: Uint8Array } | undefined;
      if (row === undefined) {
        db.prepare("INSERT INTO meta (key, value) VALUES ('network', ?)").run(networkId);
      } else if (!bytesEqual(new Uint8Array(row.value), networkId)) {
        throw new LedgerNetworkMismatchError(
          `the ledger at ${path} belongs to another network; use another data directory for this network`,
        );
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new LedgerStore(db, hasher);
  }

  /**
   * Open an existing ledger file read-only (the CLI, while a node may be running: WAL lets both read). Null
   * when there is no file yet. The network id comes from the file.
   */
  static openReadOnly(path: string, hasher: Hasher): { store: LedgerStore; networkId: Uint8Array } | null {
    if (!existsSync(path)) return null;
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      db.exec('PRAGMA busy_timeout = 5000');
      const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
      if (version > LEDGER_MIGRATIONS.length)
        throw new LedgerSchemaTooNewError(
          `the ledger at ${path} has schema ${version}, newer than this version of OpenGateway understands; update OpenGateway`,
        );
      if (version < 1) return null;
      const row = db.prepare("SELECT value FROM meta WHERE key = 'network'").get() as
        { value: Uint8Array } | undefined;
      if (row === undefined) return null;
      return { store: new LedgerStore(db, hasher), networkId: new Uint8Array(row.value) };
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** The stored valid blocks of one account, by seq. */
  chainOf(account: Uint8Array): Block[] {
    const rows = this.#db
      .prepare("SELECT body, sig FROM blocks WHERE account = ? AND status = 'valid' ORDER BY seq")
      .all(account) as { body: Uint8Array; sig: Uint8Array }[];
    return rows
      .map((row) => blockFromParts(new Uint8Array(row.body), new Uint8Array(row.sig), this.#hasher))
      .filter((b): b is Block => b !== null);
  }

  /** The open database, for the payment journal's tables (same file and migrations: payment-journal.ts). */
  get database(): DatabaseSyncType {
    return this.#db;
  }

  close(): void {
    this.#prepared.clear();
    if (this.#db.isOpen) this.#db.close();
  }

  #statement(sql: string): Statement {
    let statement = this.#prepared.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#prepared.set(sql, statement);
    }
    return statement;
  }

  /** Run `work` inside BEGIN IMMEDIATE … COMMIT; roll back on any throw. */
  transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Insert validated blocks and their new heads. Call inside `transaction` for atomicity with other writes. */
  insertValid(
    blocks: readonly Block[],
    heads: readonly CachedHead[],
    own: boolean,
    receivedAt: number,
  ): void {
    const insert = this.#statement(
      "INSERT OR IGNORE INTO blocks (id, account, seq, kind, body, sig, status, own, published, received_at) VALUES (?, ?, ?, ?, ?, ?, 'valid', ?, 0, ?)",
    );
    for (const block of blocks) {
      insert.run(
        block.id,
        block.body.account,
        block.body.seq,
        block.body.kind,
        block.bodyBytes,
        block.sig,
        own ? 1 : 0,
        receivedAt,
      );
    }
    this.writeHeads(heads);
  }

  writeHeads(heads: readonly CachedHead[]): void {
    const upsert = this.#statement(
      'INSERT INTO heads (account, seq, id, balance, reserved) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET seq = excluded.seq, id = excluded.id, balance = excluded.balance, reserved = excluded.reserved',
    );
    for (const head of heads) upsert.run(head.account, head.seq, head.id, head.balance, head.reserved);
  }

  /** Keep a block off the canonical chains (fork evidence, or a followed fork branch's block). */
  insertFork(block: Block, receivedAt: number): void {
    this.#db
      .prepare(
        "INSERT OR IGNORE INTO blocks (id, account, seq, kind, body, sig, status, own, published, received_at) VALUES (?, ?, ?, ?, ?, ?, 'fork', 0, 1, ?)",
      )
      .run(
        block.id,
        block.body.account,
        block.body.seq,
        block.body.kind,
        block.bodyBytes,
        block.sig,
        receivedAt,
      );
  }

  insertProof(proof: FraudProof, receivedAt: number): void {
    this.#db
      .prepare('INSERT OR IGNORE INTO fraud (offender, type, proof, received_at) VALUES (?, ?, ?, ?)')
      .run(offenderOf(proof), proof.type, encodeFraudProof(proof), receivedAt);
  }

  /**
   * Mark own blocks as handed to the network, in one transaction without an fsync: the flag only decides
   * what start-up publishes again, and publishing a block twice is harmless (peers see a duplicate). The
   * next FULL commit syncs it with the rest of the WAL anyway.
   */
  markPublished(ids: readonly Uint8Array[]): void {
    if (ids.length === 0) return;
    const update = this.#statement('UPDATE blocks SET published = 1 WHERE id = ?');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    try {
      this.transaction(() => {
        for (const id of ids) update.run(id);
      });
    } finally {
      this.#db.exec('PRAGMA synchronous = FULL');
    }
  }

  /**
   * Valid blocks and fork blocks (evidence and followed fork branches, security finding 12) in the order they
   * were accepted (dependencies first), for the replay at start.
   */
  *storedBlocks(): Generator<StoredBlock> {
    const statement = this.#db.prepare('SELECT body, sig, own, published FROM blocks ORDER BY rowid');
    for (const row of statement.iterate() as Iterable<{
      body: Uint8Array;
      sig: Uint8Array;
      own: number;
      published: number;
    }>) {
      const block = blockFromParts(new Uint8Array(row.body), new Uint8Array(row.sig), this.#hasher);
      if (block === null) throw new LedgerCorruptError('the ledger database holds an undecodable block');
      yield { block, own: row.own === 1, published: row.published === 1 };
    }
  }

  /** Every block stored at (account, seq), valid or fork. */
  blocksAt(account: Uint8Array, seq: bigint): Block[] {
    const rows = this.#db
      .prepare('SELECT body, sig FROM blocks WHERE account = ? AND seq = ?')
      .all(account, seq) as { body: Uint8Array; sig: Uint8Array }[];
    return rows
      .map((row) => blockFromParts(new Uint8Array(row.body), new Uint8Array(row.sig), this.#hasher))
      .filter((b): b is Block => b !== null);
  }

  /** The highest seq of an account in the blocks table (the store's truth for own appends). */
  maxSeq(account: Uint8Array): bigint {
    const statement = this.#statement(
      "SELECT MAX(seq) AS seq FROM blocks WHERE account = ? AND status = 'valid'",
    );
    statement.setReadBigInts(true);
    const row = statement.get(account) as { seq: bigint | null };
    return row.seq ?? 0n;
  }

  cachedHeads(): CachedHead[] {
    const statement = this.#db.prepare('SELECT account, seq, id, balance, reserved FROM heads');
    statement.setReadBigInts(true);
    return (
      statement.all() as {
        account: Uint8Array;
        seq: bigint;
        id: Uint8Array;
        balance: bigint;
        reserved: bigint;
      }[]
    ).map((row) => ({
      account: new Uint8Array(row.account),
      seq: row.seq,
      id: new Uint8Array(row.id),
      balance: row.balance,
      reserved: row.reserved,
    }));
  }

  replaceHeads(heads: readonly CachedHead[]): void {
    this.transaction(() => {
      this.#db.exec('DELETE FROM heads');
      this.writeHeads(heads);
    });
  }

  fraudProofs(): FraudProof[] {
    const rows = this.#db.prepare('SELECT proof FROM fraud').all() as { proof: Uint8Array }[];
    return rows
      .map((row) => decodeFraudProof(new Uint8Array(row.proof), this.#hasher))
      .filter((p): p is FraudProof => p !== null);
  }

  /** Count blocks per status (for the CLI). */
  counts(): { valid: number; fork: number } {
    const rows = this.#db.prepare('SELECT status, COUNT(*) AS n FROM blocks GROUP BY status').all() as {
      status: string;
      n: number;
    }[];
    return {
      valid: rows.find((r) => r.status === 'valid')?.n ?? 0,
      fork: rows.find((r) => r.status === 'fork')?.n ?? 0,
    };
  }

  recordOutcome(account: Uint8Array, outcome: { settled: bigint } | 'failed'): void {
    if (outcome === 'failed') {
      this.#db
        .prepare(
          'INSERT INTO reputation (account, failed_count) VALUES (?, 1) ON CONFLICT (account) DO UPDATE SET failed_count = failed_count + 1',
        )
        .run(account);
    } else {
      this.#db
        .prepare(
          'INSERT INTO reputation (account, settled_count, settled_amount) VALUES (?, 1, ?) ON CONFLICT (account) DO UPDATE SET settled_count = settled_count + 1, settled_amount = settled_amount + excluded.settled_amount',
        )
        .run(account, outcome.settled);
    }
  }

  outcomes(): { account: Uint8Array; settledCount: number; settledAmount: bigint; failedCount: number }[] {
    const statement = this.#db.prepare(
      'SELECT account, settled_count, settled_amount, failed_count FROM reputation',
    );
    statement.setReadBigInts(true);
    return (
      statement.all() as {
        account: Uint8Array;
        settled_count: bigint;
        settled_amount: bigint;
        failed_count: bigint;
      }[]
    ).map((r) => ({
      account: new Uint8Array(r.account),
      settledCount: Number(r.settled_count),
      settledAmount: r.settled_amount,
      failedCount: Number(r.failed_count),
    }));
  }
}
