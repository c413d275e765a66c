import { formatTokens } from '../format.ts';
import { statusView } from '../labels.ts';
import { selectCanPauseOrResume, selectIsPaused, selectServingEngineCount } from '../store/selectors.ts';
import { useApp } from '../store/use-app.ts';

/** The line at the top of every page: what the node is doing, the balance, and the one-click pause. */
export function StatusHeader() {
  const status = useApp((state) => state.status);
  const region = useApp((state) => state.region?.region ?? null);
  const balance = useApp((state) => state.balance);
  const paused = useApp(selectIsPaused);
  const canToggle = useApp(selectCanPauseOrResume);
  const pause = useApp((state) => state.pause);
  const resume = useApp((state) => state.resume);
  const servingEngines = useApp(selectServingEngineCount);
  const view = statusView(status, region, servingEngines);
  return (
    <header className={`status-header tone-${view.tone}`}>
      <div>
        <p className="status-headline" data-testid="node-status">
          <span className="status-dot" aria-hidden="true" />
          {view.headline}
        </p>
        <p className="status-detail">{view.detail}</p>
      </div>
      <div className="status-side">
        <p className="status-balance" data-testid="header-balance">
          {balance ? formatTokens(balance.available) : status ? 'Balance not available yet' : '—'}
        </p>
        {paused ? (
          <button type="button" className="primary" disabled={!canToggle} onClick={() => void resume()}>
            Resume contributing
          </button>
        ) : (
          <button type="button" disabled={!canToggle} onClick={() => void pause()}>
            Pause contributing
          </button>
        )}
      </div>
    </header>
  );
}
