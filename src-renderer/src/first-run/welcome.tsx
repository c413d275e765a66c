import { useState } from 'react';
import { formatGb } from '../format.ts';
import { useApp } from '../store/use-app.ts';

/** What contributing uses, in plain words, from this node's own settings and resources. */
function WhatItUses() {
  const settings = useApp((state) => state.settings);
  const resources = useApp((state) => state.resources);
  const network = useApp((state) => state.appInfo?.network ?? null);
  const profile = resources?.profile ?? null;
  const qualified = resources?.tiers.filter((tier) => tier.qualified) ?? [];
  const gpuShare = settings ? Math.round(settings.gpuMemoryShare * 100) : null;
  return (
    <ul className="uses" aria-label="What OpenGateway will use">
      <li data-testid="uses-compute">
        <strong>Processor and graphics card: </strong>
        {profile?.gpu
          ? `up to ${gpuShare ?? '…'}% of the ${profile.gpu.name}’s memory (${formatGb(profile.gpu.memoryGb)}), `
          : 'no graphics card the AI engines can use was found, so the processor does the work; '}
        at most {settings?.maxConcurrentRequests ?? '…'} requests at a time. You can lower both in Settings,
        pause at any time, or contribute only while you are away.
      </li>
      <li data-testid="uses-disk">
        <strong>Disk: </strong>
        {qualified.length > 0
          ? `the AI models of ${qualified.map((tier) => tier.label).join(', ')}, downloaded once and checked (this computer has ${profile ? formatGb(profile.diskFreeGb) : '…'} free).`
          : 'nothing for now: this computer does not meet any model tier’s needs, so no model is downloaded. It can still chat and help the network find peers.'}
      </li>
      <li data-testid="uses-network">
        <strong>Network: </strong>
        it connects to other computers of the {network ?? 'OpenGateway'} network over the internet, receives
        requests, sends answers back, and shares model files with computers in your region.
      </li>
    </ul>
  );
}

/** The first screen: what the app will use, and the two questions (contribute, start at login). */
export function Welcome() {
  const shell = useApp((state) => state.appInfo?.shell ?? 'headless');
  const busy = useApp((state) => state.busy);
  const complete = useApp((state) => state.completeFirstRun);
  const [contribute, setContribute] = useState(true);
  const [startAtLogin, setStartAtLogin] = useState(false);
  return (
    <section className="first-run card" aria-labelledby="welcome-heading">
      <h2 id="welcome-heading">Welcome to OpenGateway</h2>
      <p>
        OpenGateway lets this computer answer AI requests for other people when you are not using all of it.
        In return it earns tokens, which you spend when you chat with the AI models of the network.
      </p>
      <h3>What it will use</h3>
      <WhatItUses />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void complete({ contribute, startAtLogin: shell === 'desktop' && startAtLogin });
        }}
      >
        <label className="check">
          <input
            type="checkbox"
            checked={contribute}
            onChange={(event) => setContribute(event.target.checked)}
          />
          Yes, contribute this computer’s spare capacity (you can pause or stop at any time)
        </label>
        {shell === 'desktop' && (
          <label className="check">
            <input
              type="checkbox"
              checked={startAtLogin}
              onChange={(event) => setStartAtLogin(event.target.checked)}
            />
            Start OpenGateway when I log in
          </label>
        )}
        {!contribute && (
          <p className="hint" data-testid="decline-hint">
            This computer will not answer anyone’s requests. You can still chat, and you can start
            contributing later from the top of any page.
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Continue
        </button>
      </form>
    </section>
  );
}
