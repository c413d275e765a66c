import { describe, expect, it } from 'vitest';
import {
  CONFIG_TOPIC,
  FRAUD_TOPIC,
  INFER_PROTOCOL,
  KAD_PROTOCOL,
  LEDGER_SYNC_PROTOCOL,
  membersTopic,
  parseMembersTopic,
  ledgerTopic,
  reportsTopic,
} from '../../../src-shared/protocol/index.ts';

describe('topic names', () => {
  it('names a cluster shard topic and parses it back', () => {
    const topic = membersTopic({ region: 'north-america', tier: 'model-c' }, 17);
    expect(topic).toBe('/og/2/north-america/model-c/members/17');
    expect(parseMembersTopic(topic)).toEqual({ region: 'north-america', tier: 'model-c', shard: 17 });
  });

  it('moved every protocol id and topic to protocol 2 together (old nodes cannot join)', () => {
    const names = [
      CONFIG_TOPIC,
      FRAUD_TOPIC,
      ledgerTopic('asia'),
      reportsTopic('asia'),
      membersTopic({ region: 'asia', tier: 'model-a' }, 0),
    ];
    for (const name of names) expect(name.startsWith('/og/2/')).toBe(true);
    for (const id of [KAD_PROTOCOL, INFER_PROTOCOL, LEDGER_SYNC_PROTOCOL]) expect(id).toMatch(/\/2\.0\.0$/);
  });

  it('refuses topics of unknown regions, bad tiers, bad shards and other shapes', () => {
    expect(parseMembersTopic('/og/2/atlantis/model-a/members/0')).toBeNull();
    expect(parseMembersTopic('/og/2/asia/Model A/members/0')).toBeNull();
    expect(parseMembersTopic('/og/2/asia/ledger')).toBeNull();
    expect(parseMembersTopic('/og/1/asia/model-a/members')).toBeNull();
    expect(parseMembersTopic('/og/2/asia/model-a/members')).toBeNull();
    expect(parseMembersTopic('/og/2/asia/model-a/members/01')).toBeNull();
    expect(parseMembersTopic('/og/2/asia/model-a/members/1024')).toBeNull();
    expect(() => membersTopic({ region: 'asia', tier: '../x' }, 0)).toThrow(RangeError);
    expect(() => membersTopic({ region: 'asia', tier: 'model-a' }, -1)).toThrow(RangeError);
  });
});
