import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { DataDirUnwritableError } from './errors.ts';
import { keepPrivate } from './private-mode.ts';

/** Create the data directory (0700) if needed and prove it is a writable directory. */
export async function ensureDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const info = await stat(dataDir);
    if (!info.isDirectory()) throw new DataDirUnwritableError(dataDir, 'it is not a directory');
    // It holds the node's keys and ledger: private even if it was loosened after creation.
    await keepPrivate(dataDir, 0o700);
    await access(dataDir, constants.W_OK | constants.X_OK);
  } catch (error) {
    if (error instanceof DataDirUnwritableError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataDirUnwritableError(dataDir, describeFsError(code));
  }
}

function describeFsError(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the disk is read-only';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file is in the way';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return code ? `filesystem error ${code}` : 'unknown filesystem error';
  }
}
