// A real chat between NATed homes (issue 15): full `opengateway-node` processes (not lab nodes) in the
// NAT lab's namespaces: the bootstrap/relay on the public segment, a worker behind a port-keeping NAT, a
// requester behind a symmetric one and another behind a port-keeping one. A requester's OpenAI API asks for
// a chat; routing finds the worker through the relay (no home can reach another directly) and pays it on
// the ledger. Between the two port-keeping homes the relayed connection turns into a hole-punched WebRTC
// one, and a chat is then served with the relay cut off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateNodeKey } from '../../src-main/node/identity/node-key.ts';
import { locationsFor } from '../../src-main/node/locations.ts';
import { initNetwork } from '../../src-main/node/network-config/init-network.ts';
import { writeFirstRun } from '../../src-main/node/onboarding/first-run-record.ts';
import { ensureDataDir } from '../../src-main/node/storage/data-dir.ts';
import { ChaosNode } from '../../scripts/chaos/chaos-node.ts';
import { chatOnce } from '../../scripts/chaos/chat-stream.ts';
import { LabNamespaces, labUnavailableReason } from './lab-namespaces.ts';
import { buildNetwork, poll, RELAY_IP } from './nat-lab.ts';

const unavailable = labUnavailableReason();
if (unavailable !== null) console.warn(`NAT lab chat skipped: ${unavailable}`);

const SIMULATED_EXO = fileURLToPath(new URL('../exo-double/bin/exo', import.meta.url));
const CLUSTER = 'europe/model-a';

interface Status {
  state: { status: string };
  clusters: { key: string; members: { self: boolean; status: string; engine: string }[] }[];
}
interface Ledger {
  account?: { opened: boolean; earned: string; spent: string };
}

describe.skipIf(unavailable !== null)(
  `NAT lab: paid chats between homes${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  { timeout: 300_000 },
  () => {
    let lab: LabNamespaces;
    const nodes: ChaosNode[] = [];
    const root = mkdtempSync(join(tmpdir(), 'og-nat-chat-'));

    beforeAll(async () => {
      lab = new LabNamespaces();
      buildNetwork(lab, ['port-preserving', 'symmetric', 'port-preserving']);
      const members = await Promise.all(
        (['relay', 'home1', 'home2', 'home3'] as const).map(async (name) => {
          const dataDir = join(root, name);
          await ensureDataDir(dataDir);
          await writeFirstRun(dataDir, true);
          const { privateKey } = await loadOrCreateNodeKey(locationsFor(dataDir).identityKey);
          return { name, dataDir, peerId: peerIdFromPrivateKey(privateKey).toString() };
        }),
      );
      const network = await initNetwork({
        outDir: join(root, 'network'),
        founders: 1,
        threshold: 1,
        bootstrap: [`/ip4/${RELAY_IP}/tcp/4001/p2p/${members[0]!.peerId}`],
        networkId: `nat-chat-${Date.now().toString(36)}`,
        genesis: members.map((member) => ({ account: member.peerId, amount: 100_000 })),
      });
      const roles: Record<string, { namespace: string; args: string[] }> = {
        relay: { namespace: lab.name('pub'), args: ['--listen', `/ip4/${RELAY_IP}/tcp/4001`, '--relay'] },
        home1: {
          namespace: lab.name('h1'),
          args: [
            '--listen', '/ip4/0.0.0.0/tcp/4001', '--serve-tier', 'model-a',
            '--exo-path', SIMULATED_EXO, '--simulated-engine',
          ], // prettier-ignore
        },
        home2: { namespace: lab.name('h2'), args: ['--listen', '/ip4/0.0.0.0/tcp/4001'] },
        home3: { namespace: lab.name('h3'), args: ['--listen', '/ip4/0.0.0.0/tcp/4001'] },
      };
      for (const member of members) {
        const role = roles[member.name]!;
        const node = new ChaosNode({
          ...member,
          namespace: role.namespace,
          socketPath: join(root, `${member.name}.sock`),
          args: [
            '--network-config', network.configPath, '--heartbeat-ms', '1000',
            '--simulated-machine', member.name, '--region', 'europe', ...role.args,
          ], // prettier-ignore
          env: {
            // The lab's namespaces are its own: not local-only (vitest sets it), but no name lookups.
            OPENGATEWAY_LOCAL_ONLY: '0',
            OPENGATEWAY_NO_NAME_RESOLUTION: '1',
            EXO_DOUBLE_NODE: process.execPath,
            EXO_DOUBLE_TOKEN_RATE: '200',
          },
        });
        nodes.push(node);
        await node.start();
        // The homes dial the relay at start: up first, their first dial finds it (no redial delay).
        if (member.name === 'relay') {
          const up = await poll(async () => {
            const status = await node.api<Status>('/api/status', 2_000).catch(() => null);
            return status?.body.state.status === 'ready';
          }, 45_000);
          if (up === null) throw new Error(`the relay did not start:\n${node.output.slice(-3000)}`);
        }
      }
    }, 150_000);

    afterAll(async () => {
      await Promise.allSettled(nodes.map((node) => node.stop(5_000)));
      await Promise.allSettled(nodes.map((node) => node.stopForwarder()));
      lab?.destroy();
      rmSync(root, { recursive: true, force: true });
    }, 60_000);

    /** Waits until `requester` sees the worker up with a ready engine and has an open account. */
    async function waitUntilReady(requester: ChaosNode): Promise<void> {
      const ready = await poll(
        async () => {
          const status = await requester.api<Status>('/api/status', 2_000).catch(() => null);
          const ledger = await requester.api<Ledger>('/api/ledger?limit=1', 2_000).catch(() => null);
          const members = status?.body.clusters.find((c) => c.key === CLUSTER)?.members ?? [];
          return (
            ledger?.body.account?.opened === true &&
            members.some((m) => !m.self && m.status === 'up' && m.engine === 'ready')
          );
        },
        Number(process.env.NAT_CHAT_WAIT_MS ?? 120_000),
      );
      if (ready === null)
        throw new Error(
          `${requester.name} never saw the worker:\n${nodes.map((n) => `--- ${n.name}\n${n.output.slice(-4000)}`).join('\n')}`,
        );
    }

    it('home 2 asks its own API for a chat; home 1 serves it through the relay and is paid', async () => {
      const [, worker, requester] = nodes as [ChaosNode, ChaosNode, ChaosNode];
      await waitUntilReady(requester);
      const ask = () =>
        chatOnce(
          requester.endpoint(),
          { model: 'auto', messages: [{ role: 'user', content: 'Hello from home 2' }], max_tokens: 30 },
          60_000,
        );
      // Streams go over the relayed connection home 2 already has (a06b54c: a dial by peer id used to dial the
      // relay again, and the duplicate's teardown reset the stream). Known and open: a relayed stream can still
      // end before its first byte ("stream ended: Unexpected EOF … reading 0/1 bytes", 1 run in ~6, seen in a
      // quiet CI run too); the one worker then counts as failed before the first token and the user's next
      // request is served. So a second try, only for that case, until the cause is found.
      let outcome = await ask();
      if (outcome.kind === 'failed-clearly' && outcome.beforeFirstToken) outcome = await ask();
      expect(outcome, `${JSON.stringify(outcome)}\n${requester.output.slice(-3000)}`).toMatchObject({
        kind: 'completed',
      });
      expect(outcome.kind === 'completed' && outcome.tokens).toBeGreaterThan(0);
      const paid = await poll(async () => {
        const ledger = await worker.api<Ledger>('/api/ledger?limit=1', 2_000).catch(() => null);
        return Number(ledger?.body.account?.earned.replaceAll(',', '') ?? 0) > 0;
      }, 30_000);
      expect(paid).toBe(true);
    });

    it('home 3 punches through to home 1 (both port-keeping NATs) and is served with the relay cut off', async () => {
      const [, worker, , requester] = nodes as [ChaosNode, ChaosNode, ChaosNode, ChaosNode];
      await waitUntilReady(requester);
      // The first chat finds the worker through the relay; the relayed connection is then upgraded.
      const first = await chatOnce(
        requester.endpoint(),
        { model: 'auto', messages: [{ role: 'user', content: 'Hello from home 3' }], max_tokens: 30 },
        60_000,
      );
      expect(first).toMatchObject({ kind: 'completed' });
      // A punch can lose its ICE race on a loaded machine (CI runs the lab beside everything else); the node tries
      // again on the same relayed connection after 2 s, 10 s and 60 s, each try up to 20 s.
      const punched = await poll(
        () =>
          Promise.resolve(
            requester.output.includes(`p2p: direct connection to ${worker.init.peerId} (WebRTC hole punch`),
          ),
        180_000,
      );
      if (punched === null) throw new Error(`no hole punch:\n${requester.output.slice(-4000)}`);
      // Home 3's router now drops everything to and from the relay: only the punched path is left.
      lab.nft(
        'r3',
        `table ip ${lab.prefix}_cut {
  chain forward {
    type filter hook forward priority -10; policy accept;
    ip daddr ${RELAY_IP} drop
    ip saddr ${RELAY_IP} drop
  }
}
`,
      );
      const second = await chatOnce(
        requester.endpoint(),
        { model: 'auto', messages: [{ role: 'user', content: 'Hello again, directly' }], max_tokens: 30 },
        60_000,
      );
      expect(second).toMatchObject({ kind: 'completed' });
      expect(second.kind === 'completed' && second.tokens).toBeGreaterThan(0);
    }, 480_000);
  },
);
