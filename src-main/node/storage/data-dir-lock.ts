// One node per data directory (security finding 24): an OS lock, not a pid in a file. SQLite takes POSIX
// advisory locks on its database file and the kernel drops them when the process dies, so a crashed node
// never leaves a stale lock, and two processes racing for the directory cannot both win. SQLite also makes
// two connections in one process exclude each other, so tests of two nodes in one process see it too.
import { DatabaseSync, type DatabaseSyncType } from '../ledger/sqlite.ts';
import { NodeAlreadyRunningError } from '../node-errors.ts';

/** SQLite's result code when another connection holds the lock. */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

export class DataDirLock {
  readonly #db: DatabaseSyncType;

  private constructor(db: DatabaseSyncType) {
    this.#db = db;
  }

  /** Takes the lock at `path` (inside the data dir); throws NodeAlreadyRunningError when another node has it. */
  static acquire(path: string, dataDir: string): DataDirLock {
    const db = new DatabaseSync(path, { timeout: 0 });
    try {
      // An exclusive transaction held open for the node's lifetime: nobody else can even read the file.
      db.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;');
    } catch (error) {
      db.close();
      const code = (error as { errcode?: unknown }).errcode;
      if (code === SQLITE_BUSY || code === SQLITE_LOCKED) throw new NodeAlreadyRunningError(dataDir);
      throw error;
    }
    return new DataDirLock(db);
  }

  release(): void {
    if (!this.#db.isOpen) return;
    try {
      this.#db.exec('ROLLBACK;');
    } finally {
      this.#db.close();
    }
  }
}
