// An EXO this node started survives the node if the node is killed (EXO runs in its own process group). It
// would keep the cluster's memory, port and PID lock forever. The supervisor notes each EXO it starts in the
// cluster's EXO home, and on the next start stops one still running from before, identified by process id
// and start time together so that a reused process id is never mistaken for it.
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../storage/atomic-write.ts';

const RECORD_FILE = 'opengateway-exo.json';

interface SupervisedRecord {
  readonly pid: number;
  readonly startedAt: string;
}

/** The process's start time as `ps` prints it, or null when there is no such process. */
function processStart(pid: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { timeout: 5_000 }, (error, stdout) => {
      const text = stdout.trim();
      resolve(error || text === '' ? null : text);
    });
  });
}

/** Notes the EXO just started (its pid is also its process group). */
export async function recordSupervisedExo(exoHome: string, pid: number): Promise<void> {
  const startedAt = await processStart(pid);
  if (startedAt === null) return;
  const record: SupervisedRecord = { pid, startedAt };
  await writeFileAtomic(join(exoHome, RECORD_FILE), JSON.stringify(record));
}

/** The EXO was stopped: nothing to clean up next time. */
export async function forgetSupervisedExo(exoHome: string): Promise<void> {
  await rm(join(exoHome, RECORD_FILE), { force: true });
}

/**
 * Stops an EXO left running by an earlier run of this node (SIGTERM to its group, SIGKILL after the grace
 * period). Returns its pid when there was one.
 */
export async function stopStaleExo(exoHome: string, graceMs: number): Promise<number | null> {
  let record: SupervisedRecord;
  try {
    record = JSON.parse(await readFile(join(exoHome, RECORD_FILE), 'utf8')) as SupervisedRecord;
  } catch {
    return null;
  }
  const { pid, startedAt } = record;
  if (!Number.isSafeInteger(pid) || pid <= 1 || (await processStart(pid)) !== startedAt) {
    await forgetSupervisedExo(exoHome);
    return null;
  }
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && (await processStart(pid)) === startedAt) await sleep(100);
  signalGroup(pid, 'SIGKILL');
  await forgetSupervisedExo(exoHome);
  return pid;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: already gone
  }
}
