import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason } from './lab-namespaces.ts';
import { connectThroughRelay, publicAddresses, routerWanIp, startNatLab, type NatLab } from './nat-lab.ts';

const unavailable = labUnavailableReason();
if (unavailable !== null) console.warn(`NAT lab skipped: ${unavailable}`);

/** A chat's worth of bytes each way, well past libp2p's default relay limit (128 KiB). */
const CHAT_BYTES = 512 * 1024;

// Real nodes in real namespaces on a shared two-core machine: generous bounds, never measurements
// (the figures are bench/nat-lab.ts's job).
describe.skipIf(unavailable !== null)(
  `NAT lab: two homes behind NAT and a public relay${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  { timeout: 120_000 },
  () => {
    let lab: NatLab;
    beforeAll(async () => {
      lab = await startNatLab(['port-preserving', 'symmetric']);
    }, 60_000);
    afterAll(async () => {
      await lab?.destroy();
    });

    it('the relay announces its public address, so nobody has to dial it back to check', async () => {
      const status = await lab.relay.status();
      expect(publicAddresses(status.addresses).map((a) => a.split('/p2p/')[0])).toEqual([
        '/ip4/172.80.0.1/tcp/4001',
      ]);
    });

    it('a home node started with --listen still reserves a relay slot and knows it is not publicly reachable', async () => {
      const [a] = lab.homes;
      const result = await connectThroughRelay(a!, lab.homes[1]!, lab.relay.peerId, {
        bytes: CHAT_BYTES,
        directWaitMs: 5_000,
        reservationWaitMs: 45_000,
      });
      expect(result.error).toBeNull();
      expect(result.reservationMs).not.toBeNull();
      // The relay sees A at its router's public address, yet A announces no public address of its own.
      const relayView = await lab.relay.status();
      expect(relayView.connections.find((c) => c.peer === a!.peerId)?.remoteAddr).toContain(
        `/ip4/${routerWanIp(1)}/tcp/`,
      );
      expect(publicAddresses((await a!.status()).addresses)).toEqual([]);
      // B in the symmetric home reached A through the relay and a chat-sized exchange went both ways.
      expect(result.relayedEcho).toMatchObject({ received: CHAT_BYTES, relayed: true });
    });

    it('A, in turn, reaches B through the relay (both directions work)', async () => {
      const [a, b] = lab.homes;
      const result = await connectThroughRelay(b!, a!, lab.relay.peerId, {
        bytes: CHAT_BYTES,
        directWaitMs: 0,
        reservationWaitMs: 45_000,
      });
      expect(result.error).toBeNull();
      expect(result.relayedEcho?.received).toBe(CHAT_BYTES);
    });
  },
);
