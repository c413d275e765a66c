// One tier's model on this node, as a contributor reads it: a download bar with size and time left, then
// checking, loading and ready; or, when it failed, what went wrong in words.
import type { ClusterView, ModelState } from '../store/contract-types.ts';
import { downloadProgressText } from './download-progress-text.ts';
import { formatBytes } from './model-status-format.ts';

const FAILURE_LABELS = {
  'no-space': 'Not enough disk space',
  'hash-mismatch': 'The download was corrupted',
  unreachable: 'The download server cannot be reached',
  'bad-response': 'The download server sent a wrong file',
  io: 'The model could not be saved',
} as const;

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
      return (
        <div className="model-status" data-testid={testId}>
          <span>Downloading {state.modelId}</span>
          <progress
            max={state.totalBytes}
            value={state.receivedBytes}
            aria-label={`Downloading the model of ${tier}`}
          />
          <span className="hint">{downloadProgressText(state)}</span>
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
