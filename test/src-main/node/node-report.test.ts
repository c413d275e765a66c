import { describe, expect, it } from 'vitest';
import { statusReport, type ReportSources } from '../../../src-main/node/node-report.ts';
import type { RoutingService } from '../../../src-main/node/routing/routing-service.ts';

// A pause drains: the requests taken before it still run. The state a tray or a UI gets (the contract's
// `status`) says how many, since the status is all they get.
function reportWith(status: ReportSources['status'], finishingRequests: number) {
  const routing = {
    finishingRequests,
    engineStates: () => ({}),
    engineKind: null,
    tierEngineViews: () => ({}),
    tierEngines: { server: null, exoInstalled: false },
  } as unknown as RoutingService;
  return statusReport({
    version: '0.0.0',
    peerId: null,
    config: null,
    status,
    geo: null,
    p2p: null,
    tiers: [],
    membership: null,
    routing,
    models: null,
  });
}

describe('statusReport', () => {
  it('puts the requests still finishing into the paused state', () => {
    const report = reportWith({ status: 'paused', reason: 'user', since: 5 }, 2);
    expect(report.state).toEqual({ status: 'paused', reason: 'user', since: 5, finishingRequests: 2 });
    expect(report.finishingRequests).toBe(2);
  });

  it('leaves the paused state bare once the drain is over', () => {
    expect(reportWith({ status: 'paused', reason: 'user', since: 5 }, 0).state).toEqual({
      status: 'paused',
      reason: 'user',
      since: 5,
    });
  });
});
