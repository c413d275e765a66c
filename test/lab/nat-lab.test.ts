import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason } from './lab-namespaces.ts';
import {
  connectThroughRelay,
  poll,
  publicAddresses,
  routerWanIp,
  startNatLab,
  type NatLab,
} from './nat-lab.ts';

const unavailable = labUnavailableReason();
if (unavailable !== null) console.warn(`NAT lab skipped: ${unavailable}`);

/** A chat's worth of bytes each way, well past libp2p's default relay limit (128 KiB). */
const CHAT_BYTES = 512 * 1024;

// Real nodes in real namespaces on a shared two-core machine: generous bounds, never measurements
// (the figures are bench/nat-lab.ts's job). Homes: 1 and 2 behind port-preserving (endpoint-independent)
// NATs, 3 behind a symmetric one.
describe.skipIf(unavailable !== null)(
  `NAT lab: three homes behind NAT and a public relay${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  { timeout: 240_000 },
  () => {
    let lab: NatLab;
    beforeAll(async () => {
      lab = await startNatLab(['port-preserving', 'port-preserving', 'symmetric']);
    }, 150_000);
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
      const [a, , c] = lab.homes;
      const result = await connectThroughRelay(a!, c!, lab.relay.peerId, {
        bytes: CHAT_BYTES,
        directWaitMs: 0,
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
      // C in the symmetric home reached A through the relay and a chat-sized exchange went both ways.
      expect(result.relayedEcho).toMatchObject({ received: CHAT_BYTES, relayed: true });
    });

    it('two port-preserving homes punch through: the relayed connection becomes a direct WebRTC one', async () => {
      const [a, b] = lab.homes;
      expect((await b!.status()).webRtc).toEqual({ status: 'on', iceServers: ['stun:172.80.0.1:4001'] });
      const result = await connectThroughRelay(a!, b!, lab.relay.peerId, {
        bytes: CHAT_BYTES,
        directWaitMs: 60_000,
        reservationWaitMs: 45_000,
      });
      expect(result.error).toBeNull();
      expect(result.relayedEcho).toMatchObject({ received: CHAT_BYTES, relayed: true });
      expect(result.directMs).not.toBeNull();
      // The same exchange again, now over the punched UDP path: no relay in between.
      expect(result.directEcho).toMatchObject({ received: CHAT_BYTES, relayed: false });
      const direct = (await b!.status()).connections.find((c) => c.peer === a!.peerId && c.webrtc);
      expect(direct).toMatchObject({ relayed: false, status: 'open' });
      expect((await b!.status()).upgrades.filter((u) => u.peer === a!.peerId).at(-1)?.status).toBe('direct');
    });

    it('through the symmetric NAT no hole punches, and the pair keeps working through the relay', async () => {
      const [a, , c] = lab.homes;
      const result = await connectThroughRelay(a!, c!, lab.relay.peerId, {
        bytes: CHAT_BYTES,
        directWaitMs: 0,
        reservationWaitMs: 45_000,
      });
      expect(result.error).toBeNull();
      // C (the dialler) tries WebRTC and ICE fails: its mapping changes with every destination.
      const outcome = await poll(async () => {
        const upgrades = (await c!.status()).upgrades.filter((u) => u.peer === a!.peerId);
        return upgrades.at(-1) ?? null;
      }, 90_000);
      expect(outcome?.status).toBe('failed');
      const connections = (await c!.status()).connections.filter((x) => x.peer === a!.peerId);
      expect(connections.some((x) => !x.relayed && x.status === 'open')).toBe(false);
      expect(await c!.echo(a!.peerId, CHAT_BYTES)).toMatchObject({ received: CHAT_BYTES, relayed: true });
    });

    it('A, in turn, reaches C through the relay (both directions work)', async () => {
      const [a, , c] = lab.homes;
      const result = await connectThroughRelay(c!, a!, lab.relay.peerId, {
        bytes: CHAT_BYTES,
        directWaitMs: 0,
        reservationWaitMs: 45_000,
      });
      expect(result.error).toBeNull();
      expect(result.relayedEcho?.received).toBe(CHAT_BYTES);
    });
  },
);
