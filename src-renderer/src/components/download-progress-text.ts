// The line under a model's download bar: share, size, rate, time left and where the bytes come from
// ("from 2 peers + origin"), as a contributor reads it (issue 14 item 5).
import type { ModelState } from '../store/contract-types.ts';
import { formatBytes, formatEta } from './model-status-format.ts';

export function downloadProgressText(state: Extract<ModelState, { status: 'downloading' }>): string {
  const share = state.totalBytes > 0 ? state.receivedBytes / state.totalBytes : 0;
  const rate = state.bytesPerSecond > 0 ? ` · ${formatBytes(state.bytesPerSecond)}/s` : '';
  const sources =
    state.peers === undefined
      ? ''
      : ` · from ${state.peers} ${state.peers === 1 ? 'peer' : 'peers'}` +
        // "+ origin" only once the origin server has actually sent bytes in this run.
        ((state.originBytes ?? 0) > 0 ? ' + origin' : '');
  return (
    `${Math.floor(share * 100)}% · ${formatBytes(state.receivedBytes)} of ${formatBytes(state.totalBytes)}` +
    `${rate} · ${formatEta(state.etaSeconds)}${sources}`
  );
}
