// One tier's model on this node, as a contributor reads it: a download bar with size and time left, then
// checking, loading and ready; or, when it failed, what went wrong in words.
import type { ClusterView, ModelState } from '../store/contract-types.ts';

const FAILURE_LABELS = {
  'no-space': 'Not enough disk space',
  'hash-mismatch': 'The download was corrupted',
  unreachable: 'The download server cannot be reached',
  'bad-response': 'The download server sent a wrong file',
  io: 'The model could not be saved',
} as const;

/** "4.9 GB", "820 MB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  return `${Math.max(0, Math.round(bytes / 1e6))} MB`;
}

/** "about 4 min left", "less than a minute left". */
export function formatEta(seconds: number | null): string {
  if (seconds === null) return 'estimating time left';
  if (seconds < 60) return 'less than a minute left';
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  const hours = Math.floor(seconds / 3600);
  return `about ${hours} h ${Math.round((seconds % 3600) / 60)} min left`;
}

export function ModelStatus({
  tier,
  state,
  engine,
}: {
  readonly tier: string;
  readonly state: ModelState;
  readonly engine: ClusterView['engine'] | null;
}) {
  const testId = `model-${tier}`;
  switch (state.status) {
    case 'none':
      return null;
    case 'missing':
      return (
        <p className="model-status" data-testid={testId}>
          Model {state.modelId} ({formatBytes(state.totalBytes)}) not downloaded yet
        </p>
      );
    case 'queued':
      return (
        <p className="model-status" data-testid={testId}>
          Waiting to download {state.modelId}: another model is downloading to this disk
        </p>
      );
    case 'downloading': {
      const share = state.totalBytes > 0 ? state.receivedBytes / state.totalBytes : 0;
      return (
        <div className="model-status" data-testid={testId}>
          <span>Downloading {state.modelId}</span>
          <progress
            max={state.totalBytes}
            value={state.receivedBytes}
            aria-label={`Downloading the model of ${tier}`}
          />
          <span className="hint">
            {Math.floor(share * 100)}% · {formatBytes(state.receivedBytes)} of {formatBytes(state.totalBytes)}
            {state.bytesPerSecond > 0 && ` · ${formatBytes(state.bytesPerSecond)}/s`} ·{' '}
            {formatEta(state.etaSeconds)}
            {state.peers !== undefined &&
              ` · from ${state.peers} ${state.peers === 1 ? 'peer' : 'peers'}` +
                // "+ origin" only once the origin server has actually sent bytes in this run.
                ((state.originBytes ?? 0) > 0 ? ' + origin' : '')}
          </span>
        </div>
      );
    }
    case 'paused':
      return (
        <p className="model-status" data-testid={testId}>
          Download paused at {formatBytes(state.receivedBytes)} of {formatBytes(state.totalBytes)}; it goes on
          when you resume contributing
        </p>
      );
    case 'verifying':
      return (
        <p className="model-status" data-testid={testId}>
          Checking the download of {state.modelId}…
        </p>
      );
    case 'ready': {
      const loading = engine?.state === 'starting' || engine?.state === 'loading';
      return (
        <p className="model-status ready" data-testid={testId}>
          {loading
            ? `Loading ${state.modelId}…`
            : engine?.state === 'ready'
              ? `✓ ${state.modelId} ready (${formatBytes(state.totalBytes)})`
              : `✓ ${state.modelId} downloaded (${formatBytes(state.totalBytes)})`}
        </p>
      );
    }
    case 'failed':
      return (
        <p className="model-status failed" data-testid={testId} role="alert">
          <strong>{FAILURE_LABELS[state.reason]}:</strong> {state.message}
        </p>
      );
  }
}
