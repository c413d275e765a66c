import { useState } from 'react';
import { ModelStatus } from '../components/model-status.tsx';
import { REGION_IDS, REGION_LABELS, isRegionId } from '../../../src-shared/regions/index.ts';
import { regionLabel, SOURCE_LABELS, STEP_LABELS } from '../labels.ts';
import { useApp } from '../store/use-app.ts';

const STEP_MARK = { pending: '○', running: '…', done: '✓', failed: '✗', skipped: '–' } as const;

/** The region, and a way to choose it when the node could only guess (or a VPN may be speaking for it). */
function RegionStep() {
  const region = useApp((state) => state.region);
  const busy = useApp((state) => state.busy);
  const setRegion = useApp((state) => state.setRegion);
  const [choice, setChoice] = useState('');
  if (!region) return null;
  const unsure = region.region === null || region.verified === false || region.vpnSuspected === true;
  return (
    <div className="region-step" data-testid="region-step">
      <p>
        <strong>Region: </strong>
        <span data-testid="setup-region">{regionLabel(region.region)}</span>
        <span className="hint"> · {SOURCE_LABELS[region.source]}</span>
      </p>
      {region.vpnSuspected === true && (
        <p className="notice" role="note" data-testid="vpn-hint">
          A VPN seems to be on. The network may see you where the VPN’s server is, not where you are: choose
          your real region so you serve, and are served by, computers near you.
        </p>
      )}
      {unsure && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (isRegionId(choice)) void setRegion(choice);
          }}
        >
          <label>
            {region.region === null ? 'Choose your region' : 'Not right? Choose your region'}{' '}
            <select value={choice} onChange={(event) => setChoice(event.target.value)}>
              <option value="">—</option>
              {REGION_IDS.map((id) => (
                <option key={id} value={id}>
                  {REGION_LABELS[id]}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={busy || !isRegionId(choice)}>
            Use this region
          </button>
        </form>
      )}
    </div>
  );
}

/**
 * The model download step: each model this computer fetches for the tiers it serves, live (the same bar,
 * size and time left as on the Overview). Downloads run in the background, so setup never waits on them.
 */
function ModelsLine() {
  const tiers = useApp((state) => state.resources?.tiers ?? null);
  const tierModels = useApp((state) => state.tierModels);
  const clusters = useApp((state) => state.clusters);
  const qualified = new Set((tiers ?? []).filter((tier) => tier.qualified).map((tier) => tier.tier));
  // As on the Overview: a model of a tier this computer does not serve is not news unless it is on disk.
  const fetching = tierModels.filter(
    (model) =>
      model.state.status !== 'none' && (qualified.has(model.tier) || model.state.status !== 'missing'),
  );
  return (
    <div data-testid="setup-models">
      <strong>Model download: </strong>
      {fetching.length > 0
        ? fetching.map((model) => (
            <ModelStatus
              key={model.tier}
              tier={model.tier}
              state={model.state}
              engine={clusters.find((cluster) => cluster.tier === model.tier)?.engine ?? null}
            />
          ))
        : tiers === null
          ? 'waiting to know which tiers this computer qualifies for.'
          : 'nothing to download: this computer serves no tier that needs a model file.'}
    </div>
  );
}

/** Whether the node found other computers of the network, in words. */
function PeersLine() {
  const status = useApp((state) => state.status);
  if (!status) return null;
  const text =
    status.status === 'looking-for-peers'
      ? 'Looking for peers: no other computer of the network has answered yet. OpenGateway keeps trying.'
      : status.status === 'ready' || status.status === 'paused'
        ? 'Connected to the network.'
        : 'Not connected yet.';
  return (
    <p data-testid="setup-peers">
      <strong>Peers: </strong>
      {text}
    </p>
  );
}

/** The setup steps as the node runs them, live, then the way to the Overview. */
export function SetupProgress() {
  const steps = useApp((state) => state.onboarding);
  const firstRun = useApp((state) => state.firstRun);
  const finish = useApp((state) => state.finishFirstRun);
  return (
    <section className="first-run card" aria-labelledby="setup-heading">
      <h2 id="setup-heading">Setting up this computer</h2>
      {firstRun?.contribute === false && (
        <p className="notice" data-testid="not-contributing">
          You chose not to contribute: this computer serves nobody. Chat works as usual.
        </p>
      )}
      <ol className="steps" aria-label="Setup steps">
        {steps.map((step) => (
          <li key={step.id} className={`step step-${step.state}`} data-testid={`setup-step-${step.id}`}>
            <span className="step-mark" aria-hidden="true">
              {STEP_MARK[step.state]}
            </span>
            <span>
              {STEP_LABELS[step.id]}
              <span className="visually-hidden"> — {step.state}</span>
              {step.detail && <span className="hint"> · {step.detail}</span>}
            </span>
          </li>
        ))}
      </ol>
      <ModelsLine />
      <RegionStep />
      <PeersLine />
      <button type="button" className="primary" onClick={finish}>
        Go to the Overview
      </button>
    </section>
  );
}
