import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Connection, IdentifyResult, Libp2p } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import {
  WEBRTC_SIGNALING_PROTOCOL,
  WebRtcUpgrade,
  type WebRtcUpgradeOutcome,
} from '../../../../src-main/node/p2p/webrtc-upgrade.ts';

const RELAY = '/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWRelayRelayRelayRelayRelayRelayRelayRelayRelay1';
const upgrades: WebRtcUpgrade[] = [];
afterEach(() => {
  for (const upgrade of upgrades.splice(0)) upgrade.stop();
});

/** A node whose connections are what the test says: one relayed connection we dialled, then maybe more. */
async function nodeWithRelayedPeer() {
  const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
  const relayed = {
    remotePeer: peerId,
    remoteAddr: multiaddr(`${RELAY}/p2p-circuit/p2p/${peerId.toString()}`),
    direction: 'outbound',
    status: 'open',
    limits: { bytes: 1n << 20n },
  } as unknown as Connection;
  const connections: Connection[] = [relayed];
  const events = new EventTarget();
  const node = Object.assign(events, {
    getConnections: () => connections,
  }) as unknown as Libp2p;
  const identify = () =>
    events.dispatchEvent(
      new CustomEvent<IdentifyResult>('peer:identify', {
        detail: {
          peerId,
          connection: relayed,
          protocols: [WEBRTC_SIGNALING_PROTOCOL],
        } as unknown as IdentifyResult,
      }),
    );
  return { peerId, relayed, connections, identify, node };
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((done) => setTimeout(done, 10));
  expect(check()).toBe(true);
};

describe('WebRtcUpgrade', () => {
  it('tries again on the same relayed connection after a lost ICE race, and stops once direct', async () => {
    const { node, identify, connections, peerId } = await nodeWithRelayedPeer();
    const outcomes: WebRtcUpgradeOutcome[] = [];
    let dials = 0;
    const upgrade = new WebRtcUpgrade(
      node,
      (address) => {
        dials += 1;
        expect(address.toString()).toBe(`${RELAY}/p2p-circuit/webrtc/p2p/${peerId.toString()}`);
        if (dials < 3) return Promise.reject(new Error('ICE failed'));
        const direct = { remotePeer: peerId, status: 'open', limits: undefined } as unknown as Connection;
        connections.push(direct);
        return Promise.resolve(direct);
      },
      { retryDelaysMs: [20, 20, 20], onOutcome: (outcome) => outcomes.push(outcome) },
    );
    upgrades.push(upgrade);
    upgrade.start();
    identify();
    await waitFor(() => outcomes.length === 3);
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed', 'direct']);
    await new Promise((done) => setTimeout(done, 100));
    expect(dials).toBe(3); // nothing more once direct
  });

  it('gives up after its few tries on a NAT that cannot be punched, and stops trying on a closed relay', async () => {
    const { node, identify, relayed } = await nodeWithRelayedPeer();
    let dials = 0;
    const upgrade = new WebRtcUpgrade(
      node,
      () => {
        dials += 1;
        return Promise.reject(new Error('ICE failed'));
      },
      { retryDelaysMs: [20, 20] },
    );
    upgrades.push(upgrade);
    upgrade.start();
    identify();
    await waitFor(() => dials === 3);
    await new Promise((done) => setTimeout(done, 100));
    expect(dials).toBe(3); // the first try and two retries

    const second = await nodeWithRelayedPeer();
    let secondDials = 0;
    const other = new WebRtcUpgrade(
      second.node,
      () => {
        secondDials += 1;
        (second.relayed as { status: string }).status = 'closed';
        return Promise.reject(new Error('ICE failed'));
      },
      { retryDelaysMs: [20, 20] },
    );
    upgrades.push(other);
    other.start();
    second.identify();
    await new Promise((done) => setTimeout(done, 150));
    expect(secondDials).toBe(1);
    expect(relayed.status).toBe('open');
  });
});
