// Loads node:sqlite with only its own ExperimentalWarning silenced (TOOLCHAIN.md): every other warning
// still reaches the process's listeners.
import type { DatabaseSync as DatabaseSyncType } from 'node:sqlite';

const originalEmit = process.emitWarning.bind(process);
let silenced = false;

function silenceSqliteWarning(): void {
  if (silenced) return;
  silenced = true;
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const isSqlite =
      /SQLite/i.test(text) &&
      (type === 'ExperimentalWarning' ||
        (warning instanceof Error && warning.name === 'ExperimentalWarning'));
    if (isSqlite) return;
    (originalEmit as (...args: unknown[]) => void)(warning, ...rest);
  };
}

silenceSqliteWarning();
const sqlite = await import('node:sqlite');

/** node:sqlite's DatabaseSync, loaded without its experimental warning. */
export const DatabaseSync: typeof DatabaseSyncType = sqlite.DatabaseSync;
export type { DatabaseSyncType };
