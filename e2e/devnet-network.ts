// Starts `npm run devnet` (scripts/devnet.ts) for the e2e suite: a real local network of node processes on
// 127.0.0.1 whose workers run the SIMULATED engine. Stopping waits for every process the devnet started.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../scripts/devnet.ts', import.meta.url));

export interface DevnetNode {
  readonly peerId: string;
  readonly region: string;
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly dashboardUrl: string;
  readonly role: 'bootstrap' | 'worker';
  readonly dataDir: string;
}

export interface Devnet {
  readonly nodes: readonly DevnetNode[];
  readonly workers: readonly DevnetNode[];
  /** The devnet's folder: every node's data dir is inside it. */
  readonly root: string;
  /** GET an operator route of one node's local API, with its key. */
  api<T>(node: DevnetNode, path: string): Promise<T>;
  /** Ctrl-C for the devnet; resolves once it exited (it stops its nodes first). */
  stop(): Promise<void>;
}

export interface DevnetOptions {
  readonly nodes: number;
  readonly regions: readonly string[];
  /** Simulated tokens per second. */
  readonly tokenRate?: number;
  /** Default the EXO double: most of the suite checks the simulator's deterministic replies and timings. */
  readonly engine?: 'builtin' | 'exo-double';
}

export async function startDevnet(options: DevnetOptions): Promise<Devnet> {
  const args = [
    '--disable-warning=ExperimentalWarning',
    SCRIPT,
    '--engine',
    options.engine ?? 'exo-double',
    '--nodes',
    String(options.nodes),
    '--regions',
    options.regions.join(','),
    '--json',
    '--token-rate',
    String(options.tokenRate ?? 60),
  ];
  // `npm run e2e` puts the project's Node 22 first on PATH, so this runner's node can run TypeScript.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  let line: string;
  try {
    line = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const json = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
        if (json) resolve(json);
      });
      child.once('exit', (code) => reject(new Error(`devnet exited with ${code}:\n${stderr}`)));
    });
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  const nodes = (JSON.parse(line) as { nodes: DevnetNode[] }).nodes;
  const root = /devnet: network \S+ in (\S+)/.exec(stderr)?.[1] ?? '';
  return {
    nodes,
    workers: nodes.filter((node) => node.role === 'worker'),
    root,
    async api<T>(node: DevnetNode, path: string): Promise<T> {
      const response = await fetch(`${node.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${node.apiKey}` },
      });
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return (await response.json()) as T;
    },
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await exited;
}

/** Processes still running from inside `root` (a node or engine the devnet failed to stop). */
export async function processesUnder(root: string): Promise<number[]> {
  if (root === '') return [];
  const found: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.replaceAll('\0', ' ').includes(root)) found.push(Number(entry));
  }
  return found;
}
