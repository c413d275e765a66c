import { useState } from 'react';
import { REGION_IDS, REGION_LABELS, isRegionId, type RegionId } from '../../../src-shared/regions/index.ts';
import { formatGb } from '../format.ts';
import { engineLabel, regionLabel, SOURCE_LABELS, STEP_LABELS } from '../labels.ts';
import { useApp } from '../store/use-app.ts';
import { ModelStatus } from '../components/model-status.tsx';

const STEP_MARK = { pending: '○', running: '…', done: '✓', failed: '✗', skipped: '–' } as const;

function OnboardingSteps() {
  const steps = useApp((state) => state.onboarding);
  if (steps.length === 0) return <p className="empty">The node has not reported its setup steps yet.</p>;
  return (
    <ol className="steps" aria-label="Setup steps">
      {steps.map((step) => (
        <li key={step.id} className={`step step-${step.state}`}>
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
  );
}

function RegionCard() {
  const region = useApp((state) => state.region);
  const busy = useApp((state) => state.busy);
  const setRegion = useApp((state) => state.setRegion);
  const [choice, setChoice] = useState<RegionId | 'auto' | null>(null);
  if (!region) return <p className="empty">Region not known yet.</p>;
  const current = region.source === 'override' && region.region ? region.region : 'auto';
  const selected = choice ?? current;
  return (
    <section aria-labelledby="region-heading" className="card">
      <h3 id="region-heading">Region</h3>
      <p className="big" data-testid="region">
        {regionLabel(region.region)}
      </p>
      <p>
        <strong>How we know: </strong>
        {SOURCE_LABELS[region.source]}
        {region.detail && <span className="hint"> ({region.detail})</span>}
      </p>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void setRegion(selected === 'auto' ? null : selected).then(() => setChoice(null));
        }}
      >
        <label>
          Change region
          <select
            value={selected}
            onChange={(event) => {
              const value = event.target.value;
              setChoice(isRegionId(value) ? value : 'auto');
            }}
          >
            <option value="auto">Detect automatically</option>
            {REGION_IDS.map((id) => (
              <option key={id} value={id}>
                {REGION_LABELS[id]}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy || selected === current}>
          Save region
        </button>
      </form>
      <p className="hint">
        Your region decides which clusters you join and which computers answer your chats. Change it only if
        it is wrong; OpenGateway will rejoin its clusters.
      </p>
    </section>
  );
}

function ResourcesCard() {
  const profile = useApp((state) => state.resources?.profile ?? null);
  return (
    <section aria-labelledby="resources-heading" className="card">
      <h3 id="resources-heading">This computer</h3>
      {profile ? (
        <dl className="facts">
          <dt>Processor</dt>
          <dd>
            {profile.cpuModel} · {profile.cpuCores} cores
          </dd>
          <dt>Memory</dt>
          <dd>{formatGb(profile.ramGb)}</dd>
          <dt>Graphics</dt>
          <dd>
            {profile.gpu
              ? `${profile.gpu.name} · ${formatGb(profile.gpu.memoryGb)}${profile.gpu.unifiedMemory ? ' (shared with memory)' : ''}`
              : 'No graphics card the AI engines can use'}
          </dd>
          <dt>Free disk</dt>
          <dd>{formatGb(profile.diskFreeGb)}</dd>
          <dt>System</dt>
          <dd>{profile.os}</dd>
        </dl>
      ) : (
        <p className="empty">Checking what this computer has…</p>
      )}
    </section>
  );
}

function TiersCard() {
  const tiers = useApp((state) => state.resources?.tiers ?? null);
  const tierModels = useApp((state) => state.tierModels);
  const clusters = useApp((state) => state.clusters);
  const engines = useApp((state) => state.engines);
  return (
    <section aria-labelledby="tiers-heading" className="card wide">
      <h3 id="tiers-heading">Model tiers</h3>
      <p className="hint">
        Bigger models need a stronger computer. Yours serves every tier it qualifies for.
      </p>
      {!tiers || tiers.length === 0 ? (
        <p className="empty">Not checked yet.</p>
      ) : (
        <ul className="tiers" aria-label="Model tiers">
          {tiers.map((tier) => (
            <li
              key={tier.tier}
              className={tier.qualified ? 'tier ok' : 'tier no'}
              data-testid={`tier-${tier.tier}`}
            >
              <span className="tier-name">
                {tier.label} <span className="hint">({tier.examples.join(', ')})</span>
              </span>
              {tier.qualified ? (
                <span className="tier-verdict">✓ This computer qualifies</span>
              ) : (
                <span className="tier-verdict">✗ Not this computer: {tier.reasons.join('; ')}</span>
              )}
              {tier.qualified &&
                engines?.tiers
                  .filter((engine) => engine.tier === tier.tier)
                  .map((engine) => (
                    <span key={engine.tier} className="hint" data-testid={`tier-engine-${tier.tier}`}>
                      Engine: {engine.reason}
                    </span>
                  ))}
              {tierModels
                // A model this computer is not fetching (a tier it does not serve) is not news.
                .filter(
                  (model) => model.tier === tier.tier && (tier.qualified || model.state.status !== 'missing'),
                )
                .map((model) => (
                  <ModelStatus
                    key={model.tier}
                    tier={model.tier}
                    state={model.state}
                    engine={clusters.find((cluster) => cluster.tier === tier.tier)?.engine ?? null}
                  />
                ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ClusterDetailsPanel() {
  const details = useApp((state) => state.clusterDetails);
  const close = useApp((state) => state.showClusterDetails);
  if (!details) return null;
  return (
    <div className="details" aria-label={`Details of ${details.clusterId}`} role="region">
      <h4>Computers in {details.clusterId}</h4>
      <ul aria-label="Cluster members">
        {details.members.map((member) => (
          <li key={member.peer}>
            {member.self ? 'This computer' : member.peer} · {member.state} · {Math.round(member.load * 100)}%
            busy
            {member.rttMs !== null && ` · ${Math.round(member.rttMs)} ms away`}
          </li>
        ))}
      </ul>
      <h4>Engine log</h4>
      {details.engineLog.length === 0 ? (
        <p className="empty">Nothing logged.</p>
      ) : (
        <pre className="log">{details.engineLog.join('\n')}</pre>
      )}
      <button type="button" onClick={() => void close(null)}>
        Close details
      </button>
    </div>
  );
}

function ClustersCard() {
  const clusters = useApp((state) => state.clusters);
  const showDetails = useApp((state) => state.showClusterDetails);
  return (
    <section aria-labelledby="clusters-heading" className="card wide">
      <h3 id="clusters-heading">Clusters</h3>
      <p className="hint">A cluster is every computer in your region serving one model tier.</p>
      {clusters.length === 0 ? (
        <p className="empty">Not in any cluster.</p>
      ) : (
        <table aria-label="Clusters">
          <thead>
            <tr>
              <th scope="col">Cluster</th>
              <th scope="col">You</th>
              <th scope="col">Computers</th>
              <th scope="col">Your engine</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {clusters.map((cluster) => (
              <tr key={cluster.id} data-testid={`cluster-${cluster.id}`}>
                <td>
                  {regionLabel(cluster.region)} · {cluster.label}
                </td>
                <td>
                  {cluster.membership === 'joined'
                    ? 'Joined'
                    : cluster.membership === 'left'
                      ? 'Left (paused)'
                      : `${cluster.membership}…`}
                </td>
                <td>
                  {cluster.members} ({cluster.readyMembers} ready)
                </td>
                <td>{engineLabel(cluster.engine)}</td>
                <td>
                  <button type="button" className="link" onClick={() => void showDetails(cluster.id)}>
                    Details
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ClusterDetailsPanel />
    </section>
  );
}

export function OverviewPage() {
  return (
    <div className="page">
      <h2>Overview</h2>
      <div className="grid">
        <section aria-labelledby="setup-heading" className="card">
          <h3 id="setup-heading">Setup</h3>
          <OnboardingSteps />
        </section>
        <RegionCard />
        <ResourcesCard />
        <TiersCard />
        <ClustersCard />
      </div>
    </div>
  );
}
