// Linux network namespaces for the lab: created and torn down by the test itself, every name under one
// unique prefix so two runs (or two engineers on one machine) never touch each other's lab. Needs root.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Why the lab cannot run here, or null when it can (root, `ip`, `nft`). */
export function labUnavailableReason(): string | null {
  if (process.platform !== 'linux') return 'the NAT lab needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'the NAT lab needs root (ip netns, nftables); CI runs as root';
  for (const tool of ['ip', 'nft']) {
    try {
      execFileSync(tool, ['-V'], { stdio: 'ignore' });
    } catch {
      return `the NAT lab needs \`${tool}\` (apt-get install -y iproute2 nftables)`;
    }
  }
  return null;
}

/** Runs a command, throwing with its stderr when it fails. */
export function run(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr.trim()}`, { cause: error });
  }
}

/** Labs started by this process so far (two labs in one process get different prefixes). */
let labsStarted = 0;
/**
 * The first part of every name the lab creates: `chaos`, or OG_LAB_PREFIX (lower-case letters and digits, at
 * most 5) so that several people running labs on one machine keep apart.
 */
export function labNamePrefix(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.OG_LAB_PREFIX;
  return chosen !== undefined && /^[a-z][a-z0-9]{0,4}$/.test(chosen) ? chosen : 'chaos';
}

/** The longest prefix OG_LAB_PREFIX may choose. */
const MAX_PREFIX = 5;

/**
 * Whether namespace `name` was made by a lab under `prefix` whose creating process is gone. Our names are the
 * prefix + the creating process id (base 36) + `x` + a counter, then `-<name>`. A longer prefix's names match
 * too (prefix `lab7` reads `lab7s1a2bx1-hub` as pid `s1a2b`, but it may be prefix `lab7s`, pid `1a2b`), so a
 * name is left alone when any reading of it names a live process: sweeping a running lab under another
 * engineer's longer prefix SIGKILLs its nodes mid-run.
 */
export function isAbandonedLab(name: string, prefix: string, alive: (pid: number) => boolean): boolean {
  const match = new RegExp(`^${prefix}([0-9a-z]+)x[0-9a-z]+-[a-z0-9]+$`).exec(name);
  if (match === null) return false;
  const digits = match[1]!;
  for (let extra = 0; extra <= MAX_PREFIX - prefix.length && extra < digits.length; extra += 1) {
    const pid = parseInt(digits.slice(extra), 36);
    if (pid > 1 && alive(pid)) return false;
  }
  return true;
}

/**
 * Removes namespaces that a killed lab left behind: only names of our pattern whose creating process is gone
 * (a lab still running in another process keeps its namespaces).
 */
export function sweepAbandonedLabs(): void {
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!isAbandonedLab(name, labNamePrefix(), isAlive)) continue;
    try {
      killProcessesIn(name);
      run('ip', ['netns', 'del', name]);
    } catch {
      // Removed meanwhile.
    }
  }
}

/**
 * SIGKILLs whatever still runs inside namespace `name` (a lab node or a router's daemon the run left behind):
 * deleting a namespace only unmounts its name, and a process inside would keep it, its veths and its
 * sockets alive.
 */
function killProcessesIn(name: string): void {
  let pids: string;
  try {
    pids = run('ip', ['netns', 'pids', name]);
  } catch {
    return;
  }
  for (const pid of pids.split('\n').map(Number)) {
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LabNamespaces {
  /**
   * Short (veth names have 15 characters at most, ours add 3) and unique on this machine: the process id and
   * a counter, so a crashed run's leftovers can be told apart from a running lab's.
   */
  readonly prefix: string;
  readonly #created: string[] = [];
  readonly #onExit = (): void => this.destroy();

  constructor() {
    labsStarted += 1;
    const first = labNamePrefix();
    this.prefix = `${first}${process.pid.toString(36)}x${labsStarted.toString(36)}`;
    if (this.prefix.length > 12)
      this.prefix = `${first}${randomBytes(3)
        .toString('hex')
        .slice(0, 12 - first.length)}`;
    sweepAbandonedLabs();
    // Even when the run fails or is interrupted, the namespaces go with the process.
    process.once('exit', this.#onExit);
  }

  /** The full name of the lab's namespace `short`. */
  name(short: string): string {
    return `${this.prefix}-${short}`;
  }

  /** Creates namespace `short` with its loopback up. */
  add(short: string): string {
    const name = this.name(short);
    run('ip', ['netns', 'add', name]);
    this.#created.push(name);
    this.exec(short, 'ip', ['link', 'set', 'lo', 'up']);
    return name;
  }

  /** Runs a command inside namespace `short`. */
  exec(short: string, command: string, args: readonly string[]): string {
    return run('ip', ['netns', 'exec', this.name(short), command, ...args]);
  }

  /** Runs `ip …` inside namespace `short`. */
  ip(short: string, ...args: string[]): string {
    return this.exec(short, 'ip', args);
  }

  /** Loads an nftables ruleset (text) inside namespace `short`. */
  nft(short: string, ruleset: string): void {
    try {
      execFileSync('ip', ['netns', 'exec', this.name(short), 'nft', '-f', '-'], {
        input: ruleset,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
    } catch (error) {
      throw new Error(`nft in ${short} failed: ${String((error as { stderr?: Buffer }).stderr ?? '')}`, {
        cause: error,
      });
    }
  }

  /**
   * A veth pair from namespace `a` to namespace `b`, addresses in CIDR form (null: none, e.g. a bridge port).
   * Device names: `<prefix><tag>a` / `<prefix><tag>b`.
   */
  link(tag: string, a: string, addressA: string | null, b: string, addressB: string | null): void {
    const devA = `${this.prefix}${tag}a`;
    const devB = `${this.prefix}${tag}b`;
    run('ip', [
      'link',
      'add',
      devA,
      'netns',
      this.name(a),
      'type',
      'veth',
      'peer',
      devB,
      'netns',
      this.name(b),
    ]);
    for (const [ns, dev, address] of [
      [a, devA, addressA],
      [b, devB, addressB],
    ] as const) {
      if (address !== null) this.ip(ns, 'addr', 'add', address, 'dev', dev);
      this.ip(ns, 'link', 'set', dev, 'up');
    }
  }

  /** A bridge `<prefix>br` in namespace `short` with `address`, enslaving the given devices. */
  bridge(short: string, address: string | null, devices: readonly string[]): string {
    const bridge = `${this.prefix}br`;
    this.ip(short, 'link', 'add', bridge, 'type', 'bridge');
    for (const device of devices) this.ip(short, 'link', 'set', device, 'master', bridge);
    if (address !== null) this.ip(short, 'addr', 'add', address, 'dev', bridge);
    this.ip(short, 'link', 'set', bridge, 'up');
    return bridge;
  }

  /** Deletes every namespace of this lab (their veths, bridges and nft tables go with them). Idempotent. */
  destroy(): void {
    const existing = new Set(
      run('ip', ['netns', 'list'])
        .split('\n')
        .map((line) => line.split(' ')[0] ?? ''),
    );
    for (const name of existing) {
      if (name.startsWith(`${this.prefix}-`)) {
        try {
          killProcessesIn(name);
          run('ip', ['netns', 'del', name]);
        } catch {
          // Already gone (a concurrent teardown); nothing left to clean.
        }
      }
    }
    this.#created.length = 0;
    process.removeListener('exit', this.#onExit);
  }
}
