import { useState } from 'react';
import { SETTINGS_LIMITS } from '../../../src-shared/ipc/index.ts';
import { EngineChoices } from '../components/engine-choices.tsx';
import { formatPercent } from '../format.ts';
import { updateLabel } from '../labels.ts';
import { selectCanPauseOrResume, selectIsPaused } from '../store/selectors.ts';
import { useApp } from '../store/use-app.ts';

const IDLE_MINUTE_CHOICES = [2, 5, 10, 15, 30, 60, 120];
const MiB = 1024 * 1024;
/** Upload caps offered, bytes/s; 0 is "no limit". */
const UPLOAD_CAP_CHOICES = [1, 2, 5, 10, 25, 50, 100].map((mb) => mb * MiB);

function uploadCapLabel(bytesPerSecond: number): string {
  if (bytesPerSecond === 0) return 'No limit';
  const mb = bytesPerSecond / MiB;
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB/s`;
}

/** The list, plus the current value when it was set elsewhere (the CLI, a hand-edited file). */
function withCurrent(choices: readonly number[], current: number): number[] {
  return [...new Set([...choices, current])].sort((a, b) => a - b);
}

/**
 * The share reaches the engine when it next starts, so the value is saved when the user lets go of the
 * slider (or of the arrow key), not on every step of a drag.
 */
function GpuShareSlider({
  value,
  onCommit,
}: {
  readonly value: number;
  readonly onCommit: (share: number) => void;
}) {
  const [dragging, setDragging] = useState<number | null>(null);
  const shown = dragging ?? value;
  const { gpuMemoryShare } = SETTINGS_LIMITS;
  const commit = () => {
    if (dragging !== null && dragging !== value) onCommit(dragging);
    setDragging(null);
  };
  return (
    <label>
      Graphics memory OpenGateway may use: <strong>{formatPercent(shown)}</strong>
      <input
        type="range"
        min={gpuMemoryShare.min * 100}
        max={gpuMemoryShare.max * 100}
        step={5}
        value={Math.round(shown * 100)}
        onChange={(event) => setDragging(Number(event.target.value) / 100)}
        onPointerUp={commit}
        onKeyUp={commit}
        onBlur={commit}
      />
    </label>
  );
}

function ContributionSettings() {
  const settings = useApp((state) => state.settings);
  const update = useApp((state) => state.updateSettings);
  const paused = useApp(selectIsPaused);
  const canToggle = useApp(selectCanPauseOrResume);
  const pause = useApp((state) => state.pause);
  const resume = useApp((state) => state.resume);
  if (!settings) return <p className="empty">Settings are not loaded yet.</p>;
  const { idleMinutes, maxConcurrentRequests } = SETTINGS_LIMITS;
  return (
    <section className="card" aria-labelledby="contributing-heading">
      <h3 id="contributing-heading">Contributing</h3>
      <label className="check">
        <input
          type="checkbox"
          checked={paused}
          disabled={!canToggle}
          onChange={() => void (paused ? resume() : pause())}
        />
        Pause contributing
      </label>
      <p className="hint">While paused, your computer does no work for others. Chat keeps working.</p>

      <label className="check">
        <input
          type="checkbox"
          checked={settings.idleOnly}
          onChange={(event) => void update({ idleOnly: event.target.checked })}
        />
        Only when I am not using this computer
      </label>
      <label>
        Start after this many minutes without use
        <select
          value={settings.idleMinutes}
          disabled={!settings.idleOnly}
          onChange={(event) => void update({ idleMinutes: Number(event.target.value) })}
        >
          {withCurrent(IDLE_MINUTE_CHOICES, settings.idleMinutes)
            .filter((value) => value >= idleMinutes.min && value <= idleMinutes.max)
            .map((value) => (
              <option key={value} value={value}>
                {value} minutes
              </option>
            ))}
        </select>
      </label>

      <GpuShareSlider
        value={settings.gpuMemoryShare}
        onCommit={(share) => void update({ gpuMemoryShare: share })}
      />
      <p className="hint" data-testid="gpu-share-hint">
        Lower it if games or other apps need your graphics card. Bigger models may then not fit. Takes effect
        the next time OpenGateway starts.
      </p>

      <label>
        Requests answered at the same time
        <select
          value={settings.maxConcurrentRequests}
          onChange={(event) => void update({ maxConcurrentRequests: Number(event.target.value) })}
        >
          {Array.from(
            { length: maxConcurrentRequests.max - maxConcurrentRequests.min + 1 },
            (_, index) => maxConcurrentRequests.min + index,
          ).map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <p className="hint">
        More answers at once earn more but make this computer busier. Takes effect right away.
      </p>

      <label>
        Upload speed for sharing models
        <select
          value={settings.uploadBytesPerSecond}
          onChange={(event) => void update({ uploadBytesPerSecond: Number(event.target.value) })}
        >
          {[...withCurrent(UPLOAD_CAP_CHOICES, settings.uploadBytesPerSecond).filter((v) => v > 0), 0].map(
            (value) => (
              <option key={value} value={value}>
                {uploadCapLabel(value)}
              </option>
            ),
          )}
        </select>
      </label>
      <p className="hint" data-testid="upload-cap-hint">
        Computers near you download the models you run from you as well as from the internet, at most this
        fast, and only while you contribute. Applies at once.
      </p>

      {settings.startAtLogin !== null && (
        <label className="check">
          <input
            type="checkbox"
            checked={settings.startAtLogin}
            onChange={(event) => void update({ startAtLogin: event.target.checked })}
          />
          Start OpenGateway when I log in
        </label>
      )}
    </section>
  );
}

function LocalApiCard() {
  const appInfo = useApp((state) => state.appInfo);
  const [shown, setShown] = useState(false);
  const api = appInfo?.localApi ?? null;
  return (
    <section className="card" aria-labelledby="api-heading">
      <h3 id="api-heading">Use OpenGateway from other apps</h3>
      <p className="hint">
        Apps that work with OpenAI can use this computer’s OpenGateway instead: set their “base URL” and “API
        key” to these. They spend your tokens.
      </p>
      {api ? (
        <dl className="facts">
          <dt>Base URL</dt>
          <dd>
            <code data-testid="api-url">{api.url}</code>
          </dd>
          <dt>API key</dt>
          <dd>
            <code>{shown ? api.key : '••••••••••••'}</code>{' '}
            <button type="button" className="link" onClick={() => setShown(!shown)}>
              {shown ? 'Hide' : 'Show'}
            </button>{' '}
            <button
              type="button"
              className="link"
              onClick={() => void navigator.clipboard?.writeText(api.key)}
            >
              Copy
            </button>
          </dd>
        </dl>
      ) : (
        <p className="empty">The local API is not running.</p>
      )}
    </section>
  );
}

function AboutCard() {
  const appInfo = useApp((state) => state.appInfo);
  const update = useApp((state) => state.update);
  const install = useApp((state) => state.installUpdate);
  return (
    <section className="card" aria-labelledby="about-heading">
      <h3 id="about-heading">About</h3>
      <dl className="facts">
        <dt>Version</dt>
        <dd>{appInfo?.version ?? '…'}</dd>
        <dt>Network</dt>
        <dd>{appInfo?.network ?? 'not joined yet'}</dd>
        <dt>Data folder</dt>
        <dd>
          <code data-testid="data-folder">{appInfo?.dataDir ?? '…'}</code>
        </dd>
        <dt>Updates</dt>
        <dd data-testid="update-state">
          {updateLabel(update)}{' '}
          {update?.state === 'downloaded' && (
            <button type="button" className="primary" onClick={() => void install()}>
              Restart and update
            </button>
          )}
        </dd>
      </dl>
      <p className="credit">
        IP geolocation by DB-IP (
        <a href="https://db-ip.com" target="_blank" rel="noreferrer">
          https://db-ip.com
        </a>
        ), CC BY 4.0
      </p>
    </section>
  );
}

export function SettingsPage() {
  return (
    <div className="page">
      <h2>Settings</h2>
      <div className="grid">
        <ContributionSettings />
        <EngineChoices />
        <LocalApiCard />
        <AboutCard />
      </div>
    </div>
  );
}
