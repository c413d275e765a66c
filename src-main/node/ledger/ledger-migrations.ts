// Numbered schema migrations of the ledger database; PRAGMA user_version holds the last one applied.
// Append only: a released migration never changes.
import type { DatabaseSyncType } from './sqlite.ts';

export const LEDGER_MIGRATIONS: readonly ((db: DatabaseSyncType) => void)[] = [
  // 1: blocks (forks storable: no uniqueness on (account, seq)), the heads cache, fraud proofs, metadata.
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
      CREATE TABLE blocks (
        id BLOB PRIMARY KEY,
        account BLOB NOT NULL,
        seq INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        body BLOB NOT NULL,
        sig BLOB NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('valid', 'fork')),
        own INTEGER NOT NULL DEFAULT 0,
        published INTEGER NOT NULL DEFAULT 0,
        received_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX blocks_by_account_seq ON blocks (account, seq);
      CREATE INDEX blocks_unpublished ON blocks (own, published) WHERE own = 1 AND published = 0;
      CREATE TABLE heads (
        account BLOB PRIMARY KEY,
        seq INTEGER NOT NULL,
        id BLOB NOT NULL,
        balance INTEGER NOT NULL,
        reserved INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE fraud (
        offender BLOB PRIMARY KEY,
        type TEXT NOT NULL,
        proof BLOB NOT NULL,
        received_at INTEGER NOT NULL
      ) STRICT;
    `);
  },
  // 2: outcomes of requests for local reputation (settled / failed work per counterparty).
  (db) => {
    db.exec(`
      CREATE TABLE reputation (
        account BLOB PRIMARY KEY,
        settled_count INTEGER NOT NULL DEFAULT 0,
        settled_amount INTEGER NOT NULL DEFAULT 0,
        failed_count INTEGER NOT NULL DEFAULT 0
      ) STRICT;
    `);
  },
  // 3: the payment journal (payment-journal.ts): the requester's signed acks per own reservation, and the
  // worker's judgements of requesters that went away without settling, so both survive a restart.
  (db) => {
    db.exec(`
      CREATE TABLE own_acks (
        request_id BLOB PRIMARY KEY,
        acked INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE judgements (
        reserve_id BLOB PRIMARY KEY,
        reserve BLOB NOT NULL,
        ack BLOB,
        due_at INTEGER NOT NULL
      ) STRICT;
    `);
  },
  // 4: region reports this node judged or is judging (settlement-reports.ts), so a restart neither forgets
  // a queued report nor lets an old one penalise the same requester again (security finding 11, issue 15).
  (db) => {
    db.exec(`
      CREATE TABLE reports (
        reserve_id BLOB PRIMARY KEY,
        report BLOB NOT NULL,
        ack_ts INTEGER NOT NULL,
        judged INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX reports_by_ack_ts ON reports (ack_ts);
    `);
  },
  // 5: own reservations held ahead of their request (held-ahead.ts, issue 17), so the balance shown — by the
  // node after a restart and by `opengateway-node ledger` reading the file — counts them as the user's.
  (db) => {
    db.exec('CREATE TABLE held_ahead (request_id BLOB PRIMARY KEY) STRICT;');
  },
];

/** Bring a database to the newest schema; each migration runs in its own transaction. */
export function migrate(db: DatabaseSyncType, onTooNew: (version: number) => never): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  const current = row.user_version;
  if (current > LEDGER_MIGRATIONS.length) onTooNew(current);
  for (let version = current; version < LEDGER_MIGRATIONS.length; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      LEDGER_MIGRATIONS[version]!(db);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}
