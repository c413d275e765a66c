import { describe, expect, it } from 'vitest';
import type { NodeStatusReport } from '../../../../../src-main/node/node.ts';
import {
  chatModelsOf,
  clustersOf,
  engineViewOf,
  onboardingOf,
  regionInfoOf,
  tierModelsOf,
} from '../../../../../src-main/node/local-api/contract/node-views.ts';
import type { RegionDecision } from '../../../../../src-shared/regions/index.ts';
import { tierModelsSchema } from '../../../../../src-shared/ipc/index.ts';

const PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo';
const ASIA: RegionDecision = {
  region: 'asia',
  source: 'peers',
  ip: '203.177.0.1',
  country: 'PH',
  detail: '3 of 4 peers see this node at 203.177.0.1 (Philippines)',
  verified: true,
  vpnSuspected: false,
  decidedAt: '2026-11-28T12:00:00.000Z',
};

function report(overrides: Partial<NodeStatusReport> = {}): NodeStatusReport {
  return {
    version: '0.1.0',
    peerId: PEER,
    networkId: 'devnet-test',
    state: { status: 'ready', clusters: 1, since: 1 },
    region: ASIA,
    listenAddresses: [],
    connections: 1,
    tiers: [
      { tier: 'model-a', label: 'Model A', qualified: true, reasons: [], advice: [] },
      {
        tier: 'model-d',
        label: 'Model D',
        qualified: false,
        reasons: ['needs 48 GB GPU memory, has 24 GB'],
        advice: [],
      },
    ],
    clusters: [
      {
        cluster: { region: 'asia', tier: 'model-a' },
        key: 'asia/model-a',
        serving: true,
        members: [
          {
            peerId: PEER,
            self: true,
            status: 'up',
            downReason: null,
            engine: 'ready',
            modelsReady: ['m'],
            capacity: 2,
            load: 0,
            version: '0.1.0',
            lastHeardMsAgo: 0,
          },
          {
            peerId: 'other-peer-id-0000000000',
            self: false,
            status: 'up',
            downReason: null,
            engine: 'ready',
            modelsReady: ['m'],
            capacity: 2,
            load: 2,
            version: '0.1.0',
            lastHeardMsAgo: 10,
          },
          {
            peerId: 'gone-peer-id-00000000000',
            self: false,
            status: 'down',
            downReason: 'timeout',
            engine: 'ready',
            modelsReady: [],
            capacity: 2,
            load: 0,
            version: '0.1.0',
            lastHeardMsAgo: 9000,
          },
        ],
      },
      { cluster: { region: 'asia', tier: 'model-d' }, key: 'asia/model-d', serving: false, members: [] },
    ],
    engines: { 'asia/model-a': { status: 'ready', models: ['llama-3.2-1b'] } },
    engine: { kind: 'exo', simulated: true },
    tierEngines: {},
    engineOptions: null,
    rejectedHeartbeats: 0,
    models: {},
    ...overrides,
  };
}

describe('node views (the node’s report in the contract’s shapes)', () => {
  it('lists only served clusters, counts live and free members, and names a simulator as such', () => {
    expect(clustersOf(report(), null)).toEqual([
      {
        id: 'asia/model-a',
        region: 'asia',
        tier: 'model-a',
        label: 'model-a',
        membership: 'joined',
        members: 2,
        readyMembers: 1,
        engine: { kind: 'simulator', state: 'ready', model: 'llama-3.2-1b', detail: null },
      },
    ]);
    const paused = clustersOf(
      report({ state: { status: 'paused', reason: 'user', since: 2 }, engines: {} }),
      null,
    );
    expect(paused[0]).toMatchObject({
      membership: 'left',
      engine: { state: 'stopped', detail: 'stopped while contributing is paused' },
    });
  });

  it('maps engine states a contributor can read', () => {
    const exo = { kind: 'exo' as const, simulated: false };
    expect(engineViewOf({ status: 'loading', progress: 0.42, phase: 'downloading' }, exo, false)).toEqual({
      kind: 'exo',
      state: 'loading',
      model: null,
      detail: 'downloading (42%)',
    });
    expect(
      engineViewOf({ status: 'failed', reason: 'crashed 3 times', lastLogLines: [] }, exo, false),
    ).toMatchObject({ state: 'crashed', detail: 'crashed 3 times' });
  });

  it('marks onboarding steps done up to the running one, and the failed one with its reason', () => {
    const running = onboardingOf(report({ state: { status: 'onboarding', step: 'geo' } }), null, null);
    expect(running.map((step) => step.state)).toEqual([
      'done',
      'done',
      'running',
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
    const failed = onboardingOf(report({ state: { status: 'error', message: 'no network' } }), null, 'join');
    expect(failed[4]).toEqual({ id: 'join', state: 'failed', detail: 'no network' });
    expect(failed[5]?.state).toBe('pending');
    const ready = onboardingOf(report(), null, null);
    expect(ready.every((step) => step.state === 'done')).toBe(true);
    expect(ready.find((step) => step.id === 'engines')?.detail).toMatch(/Simulated engine/);
  });

  it('says why a model cannot be chosen, and keeps the region’s evidence', () => {
    const offers = [
      { modelId: 'llama-a', tier: 'model-a', label: 'Model A', price: 100, examples: ['Llama 3.1 8B'] },
      { modelId: 'deepseek', tier: 'model-d', label: 'Model D', price: 2000, examples: [] },
    ];
    expect(chatModelsOf(offers, new Set(['model-a']), ASIA)).toEqual([
      {
        id: 'llama-a',
        tier: 'model-a',
        label: 'Model A (Llama 3.1 8B)',
        available: true,
        unavailableReason: null,
        pricePer1k: 100,
      },
      {
        id: 'deepseek',
        tier: 'model-d',
        label: 'Model D',
        available: false,
        unavailableReason: 'No computer in Asia serves Model D right now.',
        pricePer1k: 2000,
      },
    ]);
    expect(chatModelsOf(offers, new Set(['model-a']), null)[0]?.available).toBe(false);
    expect(regionInfoOf(ASIA)).toEqual({
      region: 'asia',
      source: 'peers',
      country: 'PH',
      detail: ASIA.detail,
      verified: true,
      vpnSuspected: false,
    });
    // The region step's VPN hint and "not verified" offer reach the UI.
    expect(regionInfoOf({ ...ASIA, source: 'timezone', verified: false, vpnSuspected: true })).toMatchObject({
      verified: false,
      vpnSuspected: true,
    });
    expect(regionInfoOf({ ...ASIA, source: 'ip-argument' }).source).toBe('override');
    expect(regionInfoOf(null)).toEqual({ region: null, source: 'unknown', country: null, detail: null });
  });

  it("carries each tier's model state to the UI, validated by the contract's schema", () => {
    const models = {
      'model-a': {
        status: 'downloading',
        modelId: 'tiny',
        receivedBytes: 10,
        totalBytes: 40,
        bytesPerSecond: 5,
        etaSeconds: 6,
      },
      'model-b': {
        status: 'failed',
        modelId: 'b',
        reason: 'hash-mismatch',
        message: 'b failed verification',
      },
      'model-c': { status: 'none' },
    } as const;
    const views = tierModelsOf(report({ models }));
    expect(views.map((view) => [view.tier, view.state.status])).toEqual([
      ['model-a', 'downloading'],
      ['model-b', 'failed'],
      ['model-c', 'none'],
    ]);
    expect(tierModelsSchema.parse(views)).toEqual(views);
  });
});
