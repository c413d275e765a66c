import { afterAll, describe, expect, it } from 'vitest';
import { LabNamespaces, labUnavailableReason } from './lab-namespaces.ts';
import { LabNodeProcess } from './lab-node-process.ts';
import { poll } from './nat-lab.ts';

const unavailable = labUnavailableReason();
if (unavailable !== null) console.warn(`mDNS lab skipped: ${unavailable}`);

// mDNS multicasts on every interface: it runs only inside these namespaces, never on the host's interfaces.
describe.skipIf(unavailable !== null)(
  `LAN discovery by mDNS between two network namespaces${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  { timeout: 90_000 },
  () => {
    const lab = new LabNamespaces();
    const nodes: LabNodeProcess[] = [];
    afterAll(async () => {
      await Promise.allSettled(nodes.map((node) => node.stop()));
      lab.destroy();
    });

    it('two nodes with no bootstrap address find each other and each sees the other in its cluster view', async () => {
      lab.add('lan');
      const ports: string[] = [];
      for (const n of [1, 2]) {
        lab.add(`m${n}`);
        lab.link(`m${n}`, 'lan', null, `m${n}`, `10.77.0.${10 + n}/24`);
        ports.push(`${lab.prefix}m${n}a`);
        lab.ip(`m${n}`, 'route', 'add', 'default', 'via', '10.77.0.1');
      }
      lab.bridge('lan', '10.77.0.1/24', ports);

      for (const n of [1, 2]) {
        nodes.push(
          await LabNodeProcess.start(`lan${n}`, lab.name(`m${n}`), {
            p2p: {
              listen: ['/ip4/0.0.0.0/tcp/4001'],
              bootstrap: [],
              privateNetwork: true,
              natTraversal: false,
              mdns: true,
              mdnsIntervalMs: 1_000,
            },
            membership: { region: 'europe', tier: 'model-a' },
          }),
        );
      }
      const [one, two] = nodes as [LabNodeProcess, LabNodeProcess];
      const seen = await poll(async () => {
        const [a, b] = await Promise.all([one.members(), two.members()]);
        return a.includes(two.peerId) && b.includes(one.peerId) ? { a, b } : null;
      }, 60_000);
      expect(seen, `${one.stderr()}\n${two.stderr()}`).not.toBeNull();
      // They found each other on the LAN: the connection is to the other's 10.77.0.x address.
      const status = await one.status();
      expect(status.connections.find((c) => c.peer === two.peerId)?.remoteAddr).toContain('/ip4/10.77.0.12/');
    });
  },
);
