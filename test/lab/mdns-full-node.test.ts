// The acceptance test of LAN discovery with real nodes: two `opengateway-node start` processes, each in its
// own network namespace on one bridge, on the shipped default network (no --network-config) with no bootstrap
// node reachable, find each other by mDNS and each lists the other as a member of its cluster view.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LabNamespaces, labUnavailableReason, run } from './lab-namespaces.ts';
import { poll } from './nat-lab.ts';

const BIN = fileURLToPath(new URL('../../src-main/cli/bin.ts', import.meta.url));
const SIMULATED_EXO = fileURLToPath(new URL('../exo-double/bin/exo', import.meta.url));

const unavailable = labUnavailableReason();
if (unavailable !== null) console.warn(`mDNS full-node lab skipped: ${unavailable}`);

interface StatusReport {
  readonly peerId: string | null;
  readonly clusters: readonly {
    readonly key: string;
    readonly members: readonly { readonly peerId: string }[];
  }[];
}

class LabFullNode {
  output = '';
  readonly child: ChildProcess;
  readonly namespace: string;
  readonly dataDir: string;

  constructor(namespace: string, dataDir: string, name: string) {
    this.namespace = namespace;
    this.dataDir = dataDir;
    // Not local-only: that turns mDNS off, and mDNS on the bridge is what is under test. Nothing leaves the
    // namespaces anyway (they have no route to the host or the internet), and OPENGATEWAY_NO_NAME_RESOLUTION
    // keeps the node from even attempting a DNS lookup of the default network's /dnsaddr/ bootstrap names.
    const env: NodeJS.ProcessEnv = { ...process.env, OPENGATEWAY_NO_NAME_RESOLUTION: '1' };
    delete env.OPENGATEWAY_LOCAL_ONLY;
    // The machine here qualifies for no tier by the default tier table, and only a serving node heartbeats
    // (a requester-only node follows its region's clusters but is no member of them): serve model-a with the
    // devnet's simulated engine, as `npm run devnet` does. --region: in a namespace there is no public address
    // and a UTC timezone names no country, so the region step decides nothing and a node with no region
    // joins no cluster; both would "agree" only on none.
    // prettier-ignore
    const args = [
      'netns', 'exec', namespace, process.execPath, '--disable-warning=ExperimentalWarning', BIN, 'start',
      '--data-dir', dataDir, '--listen', '/ip4/0.0.0.0/tcp/4001', '--heartbeat-ms', '1000', '--region', 'europe',
      '--serve-tier', 'model-a', '--exo-path', SIMULATED_EXO, '--simulated-engine', '--simulated-machine', name,
    ];
    this.child = spawn('ip', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  /** GET /api/status from inside the namespace (the API listens on the namespace's 127.0.0.1). */
  async status(): Promise<StatusReport | null> {
    let url: string;
    let key: string;
    try {
      url = (JSON.parse(await readFile(join(this.dataDir, 'api.json'), 'utf8')) as { url: string }).url;
      key = (await readFile(join(this.dataDir, 'api.key'), 'utf8')).trim();
    } catch {
      return null; // Not serving its API yet.
    }
    try {
      const body = run('ip', [
        'netns',
        'exec',
        this.namespace,
        'curl',
        '-sf',
        '--max-time',
        '5',
        '-H',
        `authorization: Bearer ${key}`,
        new URL('/api/status', url).toString(),
      ]);
      return JSON.parse(body) as StatusReport;
    } catch {
      return null;
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('close', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function membersOf(report: StatusReport | null): string[] {
  return report?.clusters.flatMap((cluster) => cluster.members.map((member) => member.peerId)) ?? [];
}

describe.skipIf(unavailable !== null)(
  `LAN discovery by mDNS between two full nodes${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  { timeout: 150_000 },
  () => {
    const lab = new LabNamespaces();
    const nodes: LabFullNode[] = [];
    let root = '';
    afterAll(async () => {
      await Promise.allSettled(nodes.map((node) => node.stop()));
      lab.destroy();
      if (root !== '') await rm(root, { recursive: true, force: true });
    });

    it('two `opengateway-node start` with no network config and no bootstrap list each other in a cluster view', async () => {
      root = await mkdtemp(join(tmpdir(), 'og-lan-'));
      lab.add('lan');
      const ports: string[] = [];
      for (const n of [1, 2]) {
        lab.add(`f${n}`);
        lab.link(`f${n}`, 'lan', null, `f${n}`, `10.78.0.${10 + n}/24`);
        ports.push(`${lab.prefix}f${n}a`);
        // No default route: multicast (mDNS, 224.0.0.251) needs a route of its own, on the LAN side.
        lab.ip(`f${n}`, 'route', 'add', '224.0.0.0/4', 'dev', `${lab.prefix}f${n}b`);
      }
      // The bridge has no address and no uplink: the two nodes reach each other and nothing else.
      lab.bridge('lan', null, ports);
      for (const n of [1, 2])
        nodes.push(new LabFullNode(lab.name(`f${n}`), join(root, `node${n}`), `lan${n}`));
      const [one, two] = nodes as [LabFullNode, LabFullNode];

      const seen = await poll(async () => {
        const [a, b] = await Promise.all([one.status(), two.status()]);
        if (a?.peerId == null || b?.peerId == null) return null;
        return membersOf(a).includes(b.peerId) && membersOf(b).includes(a.peerId) ? { a, b } : null;
      }, 120_000);
      expect(seen, `node 1:\n${one.output}\nnode 2:\n${two.output}`).not.toBeNull();
      // Both on the shipped default network, and they never tried to look up its bootstrap names.
      for (const node of nodes) {
        expect(node.output).toMatch(/not resolving \/dnsaddr\/.*OPENGATEWAY_NO_NAME_RESOLUTION=1/);
      }
    });
  },
);
