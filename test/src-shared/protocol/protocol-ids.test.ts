import { describe, expect, it } from 'vitest';
import { membersTopic, parseMembersTopic, ledgerTopic } from '../../../src-shared/protocol/index.ts';

describe('topic names', () => {
  it('names a cluster topic and parses it back', () => {
    const topic = membersTopic({ region: 'north-america', tier: 'model-c' });
    expect(topic).toBe('/og/1/north-america/model-c/members');
    expect(parseMembersTopic(topic)).toEqual({ region: 'north-america', tier: 'model-c' });
    expect(ledgerTopic('asia')).toBe('/og/1/asia/ledger');
  });

  it('refuses topics of unknown regions, bad tiers and other shapes', () => {
    expect(parseMembersTopic('/og/1/atlantis/model-a/members')).toBeNull();
    expect(parseMembersTopic('/og/1/asia/Model A/members')).toBeNull();
    expect(parseMembersTopic('/og/1/asia/ledger')).toBeNull();
    expect(parseMembersTopic('/og/2/asia/model-a/members')).toBeNull();
    expect(() => membersTopic({ region: 'asia', tier: '../x' })).toThrow(RangeError);
  });
});
