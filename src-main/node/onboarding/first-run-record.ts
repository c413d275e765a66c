// The answer to the welcome (issue 13), kept in the data directory: `first-run.json`, written atomically and
// read strictly. A missing or damaged file means "not answered yet" (the welcome shows again), never a crash.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FirstRun } from '../../../src-shared/ipc/index.ts';
import { writeFileAtomic } from '../storage/atomic-write.ts';

const FILE_NAME = 'first-run.json';
const VERSION = 1;
const MAX_BYTES = 4096;

export const NOT_ANSWERED: FirstRun = { completed: false, contribute: null, completedAt: null };

export function firstRunPath(dataDir: string): string {
  return join(dataDir, FILE_NAME);
}

export async function readFirstRun(dataDir: string): Promise<FirstRun> {
  let text: string;
  try {
    text = await readFile(firstRunPath(dataDir), 'utf8');
  } catch {
    return NOT_ANSWERED;
  }
  if (text.length > MAX_BYTES) return NOT_ANSWERED;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const { version, contribute, completedAt } = value;
    if (version !== VERSION || typeof contribute !== 'boolean') return NOT_ANSWERED;
    if (typeof completedAt !== 'number' || !Number.isSafeInteger(completedAt) || completedAt < 0)
      return NOT_ANSWERED;
    return { completed: true, contribute, completedAt };
  } catch {
    return NOT_ANSWERED;
  }
}

export async function writeFirstRun(
  dataDir: string,
  contribute: boolean,
  now = Date.now(),
): Promise<FirstRun> {
  await writeFileAtomic(
    firstRunPath(dataDir),
    `${JSON.stringify({ version: VERSION, contribute, completedAt: now })}\n`,
    0o600,
  );
  return { completed: true, contribute, completedAt: now };
}
