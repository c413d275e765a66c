// `npm run devnet` as the script tests run it: a child process, its nodes from the --json line, its stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/devnet.ts', import.meta.url));

export interface DevnetNode {
  readonly peerId: string;
  readonly region: string;
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly dashboardUrl: string;
  readonly role: 'bootstrap' | 'worker';
  readonly dataDir: string;
}

export interface DevnetProcess {
  readonly child: ChildProcess;
  readonly nodes: readonly DevnetNode[];
  /** Everything the devnet wrote on stderr so far. */
  stderr(): string;
  /** Ctrl-C, and wait for it to exit (it stops its nodes first). */
  stop(): Promise<void>;
}

/** Start the devnet with `args` (after --json) and resolve once every node is ready. */
export async function startDevnetProcess(args: readonly string[]): Promise<DevnetProcess> {
  const child = spawn(process.execPath, [SCRIPT, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const json = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
      if (json) resolve(json);
    });
    child.once('exit', (code) => reject(new Error(`devnet exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    nodes: (JSON.parse(line) as { nodes: DevnetNode[] }).nodes,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}
