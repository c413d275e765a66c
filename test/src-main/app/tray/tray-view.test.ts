import { describe, expect, it } from 'vitest';
import { trayViewFor } from '../../../../src-main/app/tray/tray-view.ts';
import type { NodeStatus } from '../../../../src-shared/ipc/index.ts';

// Micro-tokens, like every amount of the contract.
const balance = {
  available: 25_000_500_000,
  reserved: 0,
  heldAhead: 0,
  earned: 1_000_000,
  spent: 1_000_000,
  minimumToRequest: 1_000_000_000,
};

describe('trayViewFor', () => {
  it.each<[NodeStatus | null, string, string, string, boolean]>([
    [null, 'offline', 'Starting…', 'Pause contributing', false],
    [{ status: 'starting' }, 'offline', 'Starting…', 'Pause contributing', false],
    [{ status: 'onboarding', step: 'geo' }, 'offline', 'Setting up…', 'Pause contributing', true],
    [
      { status: 'ready', clusters: 3, since: 1 },
      'contributing',
      'Contributing (3 clusters)',
      'Pause contributing',
      true,
    ],
    [
      { status: 'ready', clusters: 1, since: 1 },
      'contributing',
      'Contributing (1 cluster)',
      'Pause contributing',
      true,
    ],
    [{ status: 'paused', reason: 'user', since: 1 }, 'paused', 'Paused', 'Resume contributing', true],
    [
      { status: 'paused', reason: 'waiting-for-idle', since: 1 },
      'paused',
      'Waiting until the computer is idle',
      'Pause contributing',
      true,
    ],
    [
      { status: 'offline', message: 'no network', retryAt: null },
      'offline',
      'Offline',
      'Pause contributing',
      true,
    ],
    [
      {
        status: 'looking-for-peers',
        since: 1,
        tried: ['/dnsaddr/x.example: no answer yet'],
        nextAttemptAt: 5,
      },
      'offline',
      'Looking for peers…',
      'Pause contributing',
      true,
    ],
    [
      { status: 'error', message: 'disk full' },
      'error',
      'Problem: open OpenGateway for details',
      'Pause contributing',
      false,
    ],
  ])('%j → %s icon, "%s", toggle "%s"', (status, icon, line, toggle, enabled) => {
    const view = trayViewFor(status, balance);
    expect(view.icon).toBe(icon);
    expect(view.statusLine).toBe(line);
    expect(view.tooltip).toBe(`OpenGateway — ${line}`);
    expect(view.toggle).toMatchObject({ label: toggle, enabled });
    expect(view.balanceLine).toBe('Balance: 25,000.5 tokens');
  });

  it('shows a dash until the balance is known', () => {
    expect(trayViewFor(null, null).balanceLine).toBe('Balance: —');
  });
});
