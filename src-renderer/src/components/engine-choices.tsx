import { useState } from 'react';
import type { TierEngine } from '../store/contract-types.ts';
import { useApp } from '../store/use-app.ts';

const CHOICE_LABELS = {
  auto: 'Automatic',
  builtin: 'Built-in llama.cpp',
  exo: 'EXO',
  openai: 'My OpenAI-compatible server',
} as const;

function TierEngineRow({ tier }: { readonly tier: TierEngine }) {
  const engines = useApp((state) => state.engines);
  const setTierEngine = useApp((state) => state.setTierEngine);
  const choices = (['auto', 'builtin', 'exo', 'openai'] as const).filter(
    // Offer EXO where it is installed and the server once its address is known (and whatever is chosen now).
    (choice) =>
      choice === tier.choice ||
      ((choice !== 'exo' || engines?.exoInstalled === true) &&
        (choice !== 'openai' || engines?.server !== null)),
  );
  return (
    <li data-testid={`engine-${tier.tier}`}>
      <label>
        {tier.label}
        <select
          value={tier.choice}
          disabled={tier.locked}
          onChange={(event) => void setTierEngine(tier.tier, event.target.value as TierEngine['choice'])}
        >
          {choices.map((choice) => (
            <option key={choice} value={choice}>
              {CHOICE_LABELS[choice]}
            </option>
          ))}
        </select>
      </label>
      <span className="hint" data-testid={`engine-reason-${tier.tier}`}>
        {tier.reason}
        {tier.locked && ' (set on the command line)'}
        {!tier.serving && ' · not served by this computer now'}
      </span>
    </li>
  );
}

function EngineServerForm() {
  const server = useApp((state) => state.engines?.server ?? null);
  const setEngineServer = useApp((state) => state.setEngineServer);
  const [url, setUrl] = useState<string | null>(null);
  const [model, setModel] = useState<string | null>(null);
  const shownUrl = url ?? server?.baseUrl ?? '';
  const shownModel = model ?? server?.model ?? '';
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        const baseUrl = shownUrl.trim();
        void setEngineServer(
          baseUrl === '' ? null : { baseUrl, model: shownModel.trim() === '' ? null : shownModel.trim() },
        ).then(() => {
          setUrl(null);
          setModel(null);
        });
      }}
    >
      <label>
        Your OpenAI-compatible server (Ollama, LM Studio, llama-server, vLLM)
        <input
          type="url"
          placeholder="http://127.0.0.1:11434/v1"
          value={shownUrl}
          maxLength={500}
          onChange={(event) => setUrl(event.target.value)}
        />
      </label>
      <label>
        Model it should answer with (optional: otherwise each tier takes a model of its size the server lists)
        <input
          type="text"
          value={shownModel}
          maxLength={200}
          onChange={(event) => setModel(event.target.value)}
        />
      </label>
      <button type="submit">{shownUrl.trim() === '' && server ? 'Remove server' : 'Save server'}</button>
    </form>
  );
}

/** Which engine serves each tier, why, and the contributor's choice: applied at once (the engine restarts). */
export function EngineChoices() {
  const engines = useApp((state) => state.engines);
  return (
    <section className="card" aria-labelledby="engines-heading">
      <h3 id="engines-heading">AI engines</h3>
      <p className="hint">
        Automatic uses EXO where it is installed, otherwise the built-in llama.cpp. A change applies right
        away: that tier’s engine restarts (a built-in tier first downloads its model).
      </p>
      {!engines || engines.tiers.length === 0 ? (
        <p className="empty">The node has not reported its engines yet.</p>
      ) : (
        <ul className="engine-choices" aria-label="Engine per tier">
          {engines.tiers.map((tier) => (
            <TierEngineRow key={tier.tier} tier={tier} />
          ))}
        </ul>
      )}
      <EngineServerForm />
    </section>
  );
}
