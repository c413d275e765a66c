// Penalties from outside gossip (a seeder's corrupted model blocks) in a peer's gossip score: they add up,
// fade with their half-life, and are subtracted from the ledger's reputation in gossipsub's application score.
import { describe, expect, it } from 'vitest';
import { peerScoreParams, REVOKED_SCORE } from '../../../../src-main/node/p2p/gossip-scoring.ts';
import { BAD_BLOCK_PENALTY, PeerPenalties } from '../../../../src-main/node/p2p/peer-penalties.ts';

describe('PeerPenalties', () => {
  it('adds penalties up and halves them every half-life', () => {
    const clock = { at: 1_000_000 };
    const penalties = new PeerPenalties({ halfLifeMs: 60_000, now: () => clock.at });
    penalties.penalise('a', BAD_BLOCK_PENALTY);
    penalties.penalise('a', BAD_BLOCK_PENALTY);
    expect(penalties.points('a')).toBe(2 * BAD_BLOCK_PENALTY);
    expect(penalties.points('b')).toBe(0);
    clock.at += 60_000;
    expect(penalties.points('a')).toBeCloseTo(BAD_BLOCK_PENALTY);
    clock.at += 60_000 * 20;
    expect(penalties.points('a')).toBe(0);
  });

  it('ignores non-positive penalties and forgets the oldest peer beyond its bound', () => {
    const penalties = new PeerPenalties({ maxPeers: 2 });
    penalties.penalise('a', -5);
    penalties.penalise('a', Number.NaN);
    expect(penalties.points('a')).toBe(0);
    penalties.penalise('a', 1);
    penalties.penalise('b', 1);
    penalties.penalise('c', 1);
    expect(penalties.points('a')).toBe(0);
    expect(penalties.points('c')).toBe(1);
  });

  it('lowers the gossip application score below the gossip threshold after one corrupted block', () => {
    const penalties = new PeerPenalties();
    const params = peerScoreParams(
      [],
      [],
      (peerId) => (peerId === 'revoked' ? -1 : 0.5),
      (peerId) => penalties.points(peerId),
    );
    const score = params.appSpecificScore!;
    expect(score('honest')).toBe(5);
    penalties.penalise('liar', BAD_BLOCK_PENALTY);
    // gossipsub's default gossip threshold is -10: a liar with a good ledger record still falls below it.
    expect(score('liar')).toBe(5 - BAD_BLOCK_PENALTY);
    expect(score('liar')).toBeLessThan(-10);
    expect(score('revoked')).toBe(REVOKED_SCORE);
    // Without a ledger (a bare p2p service), penalties alone still count.
    expect(peerScoreParams([], [], undefined, () => 7).appSpecificScore!('x')).toBe(-7);
  });
});
