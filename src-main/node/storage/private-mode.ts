// Secrets and the data directory stay private after creation too (security finding 27): a backup tool, a
// copy or a user's chmod may loosen them; every start tightens them back before they are used.
import { chmod, stat } from 'node:fs/promises';

/** Sets `mode` when the file or folder at `path` grants more than it (group or other bits). */
export async function keepPrivate(path: string, mode: 0o600 | 0o700): Promise<void> {
  if (process.platform === 'win32') return; // POSIX modes do not describe Windows ACLs
  const info = await stat(path);
  if ((info.mode & 0o777 & ~mode) !== 0) await chmod(path, mode);
}
