// What the tray shows for a node state: the icon, the tooltip and the menu lines (DESIGN.md §10). Pure,
// so every state can be tested without Electron.
import type { Balance, NodeStatus } from '../../../src-shared/ipc/index.ts';
import { formatTokens } from '../../../src-shared/ledger/token-amount.ts';

export const TRAY_ICON_STATES = ['contributing', 'paused', 'offline', 'error'] as const;
export type TrayIconState = (typeof TRAY_ICON_STATES)[number];

export interface TrayView {
  readonly icon: TrayIconState;
  readonly tooltip: string;
  readonly statusLine: string;
  readonly balanceLine: string;
  readonly toggle: { readonly action: 'pause' | 'resume'; readonly label: string; readonly enabled: boolean };
}

function iconAndLine(status: NodeStatus | null): { icon: TrayIconState; line: string } {
  if (!status) return { icon: 'offline', line: 'Starting…' };
  switch (status.status) {
    case 'starting':
      return { icon: 'offline', line: 'Starting…' };
    case 'onboarding':
      return { icon: 'offline', line: 'Setting up…' };
    case 'ready':
      return {
        icon: 'contributing',
        line: `Contributing (${status.clusters} ${status.clusters === 1 ? 'cluster' : 'clusters'})`,
      };
    case 'paused':
      return { icon: 'paused', line: pausedLine(status.reason, status.finishingRequests ?? 0) };
    case 'offline':
      return { icon: 'offline', line: 'Offline' };
    case 'looking-for-peers':
      // Not an error: the node keeps trying, and nothing is wrong with this computer.
      return { icon: 'offline', line: 'Looking for peers…' };
    case 'error':
      return { icon: 'error', line: 'Problem: open OpenGateway for details' };
  }
}

function pausedLine(reason: 'user' | 'waiting-for-idle', finishing: number): string {
  // Requests taken before the pause run to their end (or the drain bound): say so, not a bare "Paused".
  if (finishing > 0) return `Finishing ${finishing} ${finishing === 1 ? 'request' : 'requests'}…`;
  return reason === 'user' ? 'Paused' : 'Waiting until the computer is idle';
}

/** The icon, tooltip and menu lines for `status` and `balance`. */
export function trayViewFor(status: NodeStatus | null, balance: Balance | null): TrayView {
  const { icon, line } = iconAndLine(status);
  // Micro-tokens shown exactly as the ledger and the window write them ("Balance: 9,999.188 tokens").
  const balanceLine = balance ? `Balance: ${formatTokens(BigInt(balance.available))} tokens` : 'Balance: —';
  const userPaused = status?.status === 'paused' && status.reason === 'user';
  const canToggle = status !== null && status.status !== 'error' && status.status !== 'starting';
  return {
    icon,
    tooltip: `OpenGateway — ${line}`,
    statusLine: line,
    balanceLine,
    toggle: userPaused
      ? { action: 'resume', label: 'Resume contributing', enabled: true }
      : { action: 'pause', label: 'Pause contributing', enabled: canToggle },
  };
}
