import { describe, expect, it } from 'vitest';
import { PeerAddressVote } from '../../../../src-main/node/geo/peer-address-vote.ts';

const MINUTE = 60_000;

describe('PeerAddressVote', () => {
  it('3 of 4 peers agreeing decide the address', () => {
    const vote = new PeerAddressVote();
    vote.record('p1', '203.177.0.1', 0);
    vote.record('p2', '203.177.0.1', 0);
    vote.record('p3', '203.177.0.1', 0);
    vote.record('p4', '8.8.8.8', 0);
    expect(vote.decide(0)).toEqual({
      winner: { address: '203.177.0.1', family: 4 },
      votes: 3,
      reporters: 4,
      split: true,
    });
  });

  it('needs at least three reporters', () => {
    const vote = new PeerAddressVote();
    vote.record('p1', '203.177.0.1', 0);
    vote.record('p2', '203.177.0.1', 0);
    expect(vote.decide(0).winner).toBeNull();
  });

  it('needs a strict majority', () => {
    const vote = new PeerAddressVote();
    for (const [peer, ip] of [
      ['p1', '1.1.1.1'],
      ['p2', '1.1.1.1'],
      ['p3', '9.9.9.9'],
      ['p4', '9.9.9.9'],
    ]) {
      vote.record(peer!, ip!, 0);
    }
    expect(vote.decide(0).winner).toBeNull();
  });

  it('counts one vote per peer: a peer repeating itself cannot win alone', () => {
    const vote = new PeerAddressVote();
    for (let i = 0; i < 50; i += 1) vote.record('liar', '5.36.0.1', i);
    vote.record('p2', '203.177.0.1', 60);
    vote.record('p3', '203.177.0.1', 60);
    vote.record('p4', '203.177.0.1', 60);
    expect(vote.decide(60)).toMatchObject({ winner: { address: '203.177.0.1' }, votes: 3, reporters: 4 });
  });

  it('keeps only each peer’s latest observation (a network change moves the vote)', () => {
    const vote = new PeerAddressVote();
    for (const peer of ['p1', 'p2', 'p3']) vote.record(peer, '203.177.0.1', 0);
    for (const peer of ['p1', 'p2', 'p3']) vote.record(peer, '81.2.69.160', MINUTE);
    expect(vote.decide(MINUTE).winner?.address).toBe('81.2.69.160');
  });

  it('lets observations expire', () => {
    const vote = new PeerAddressVote({ ttlMs: 30 * MINUTE });
    for (const peer of ['p1', 'p2', 'p3']) vote.record(peer, '203.177.0.1', 0);
    expect(vote.decide(29 * MINUTE).winner).not.toBeNull();
    expect(vote.decide(31 * MINUTE)).toMatchObject({ winner: null, reporters: 0 });
  });

  it('ignores non-public and malformed observations', () => {
    const vote = new PeerAddressVote();
    expect(vote.record('p1', '192.168.1.10', 0)).toBe(false);
    expect(vote.record('p2', '100.64.3.3', 0)).toBe(false);
    expect(vote.record('p3', 'garbage', 0)).toBe(false);
    expect(vote.record('', '8.8.8.8', 0)).toBe(false);
    expect(vote.decide(0).reporters).toBe(0);
  });

  it('counts reporters from one /24 once (Sybil peers on one network)', () => {
    const vote = new PeerAddressVote();
    for (let i = 1; i <= 5; i += 1) vote.record(`sybil${i}`, '5.36.0.1', 0, `45.33.10.${i}`);
    vote.record('honest1', '203.177.0.1', 0, '81.2.69.160');
    vote.record('honest2', '203.177.0.1', 0, '41.0.0.1');
    vote.record('honest3', '203.177.0.1', 0, '200.160.0.1');
    expect(vote.decide(0)).toMatchObject({ winner: { address: '203.177.0.1' }, votes: 3, reporters: 4 });
  });

  it('bounds the number of reporters it remembers', () => {
    const vote = new PeerAddressVote({ maxReporters: 10 });
    for (let i = 0; i < 1000; i += 1) vote.record(`p${i}`, '8.8.8.8', 0);
    expect(vote.decide(0).reporters).toBe(10);
  });

  it('counts every peer reached over a relay as one network: relayed Sybils are one vote (finding 15)', () => {
    const vote = new PeerAddressVote();
    for (let i = 1; i <= 40; i += 1)
      vote.record(`relayed-sybil-${i}`, '5.36.0.1', 0, undefined, { relayed: true });
    vote.record('honest1', '203.177.0.1', 0, '81.2.69.160');
    vote.record('honest2', '203.177.0.1', 0, '45.33.10.1');
    vote.record('honest3', '203.177.0.1', 0, '8.8.8.8');
    expect(vote.decide(0)).toMatchObject({ winner: { address: '203.177.0.1' }, votes: 3, reporters: 4 });
  });
});
