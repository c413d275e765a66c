// A real node (`opengateway-node start` in its own process, a network of one on loopback) for the local API's
// attack and fuzz tests: a crash there is a crash of a real node, not something a test runner swallows.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initNetwork } from '../../../../src-main/node/network-config/init-network.ts';
import { NodeProcess } from '../../cli/commands/node-process.ts';

export interface ServedNodeProcess {
  readonly process: NodeProcess;
  readonly root: string;
  readonly dataDir: string;
  readonly configPath: string;
  readonly port: number;
  readonly key: string;
  /** True while the process runs. */
  alive(): boolean;
  /** GET /api/status with the key: the node still answers. */
  status(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServedNodeProcess(prefix: string): Promise<ServedNodeProcess> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const { configPath } = await initNetwork({ outDir: join(root, 'net'), founders: 1, threshold: 1 });
  const dataDir = join(root, 'data');
  const node = new NodeProcess([
    '--data-dir',
    dataDir,
    '--network-config',
    configPath,
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--region',
    'europe',
    '--heartbeat-ms',
    '300',
  ]);
  const [, port] = await node.waitForOutput(/api: http:\/\/127\.0\.0\.1:(\d+)/);
  await node.waitForOutput(/^(ready|status): /m);
  const key = (await readFile(join(dataDir, 'api.key'), 'utf8')).trim();
  const url = `http://127.0.0.1:${port}`;
  return {
    process: node,
    root,
    dataDir,
    configPath,
    port: Number(port),
    key,
    alive: () => node.child.exitCode === null && node.child.signalCode === null,
    async status() {
      const reply = await fetch(`${url}/api/status`, {
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(10_000),
      });
      await reply.arrayBuffer();
      return reply.status;
    },
    async stop() {
      await node.interrupt();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface RawExchange {
  /** Everything the server sent before it closed (or before we gave up waiting). */
  readonly reply: string;
  /** True when the server closed the connection. */
  readonly closed: boolean;
}

/**
 * Writes `chunks` on a fresh TCP connection (each a separate write), then either hangs up at once
 * (`hangUp`) or waits up to `waitMs` for the server to answer and close.
 */
export function rawExchange(
  port: number,
  chunks: readonly (string | Uint8Array)[],
  options: { readonly hangUp?: boolean; readonly waitMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, closed });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 2_000);
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (reply += data));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.hangUp) finish(false);
    });
  });
}
