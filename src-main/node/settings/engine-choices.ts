// The contributor's engine choices in Settings, checked before they are stored: a known tier, not fixed on the
// command line, EXO only where it is installed, a server only once its address is known. Clearing the server
// puts the tiers that used it back on `auto`.
import type { NetworkConfig } from '../../../src-shared/network-config/index.ts';
import { exoInstallHint } from '../engine/exo/find-exo.ts';
import type { TierEngineChoice, TierEngines } from '../routing/tier-engines.ts';
import type { EngineKind } from '../engine/engine.ts';
import {
  EngineChoiceLockedError,
  EngineServerMissingError,
  ExoNotInstalledError,
  InvalidEngineServerError,
  UnknownTierError,
} from './errors.ts';
import { isEngineServerUrl, type EngineServer, type NodeSettings } from './node-settings.ts';

/** The stored choices after choosing `choice` for `tier` (throws a named ExpectedError when it cannot be). */
export function withTierEngine(
  current: NodeSettings,
  tier: string,
  choice: TierEngineChoice,
  context: { readonly config: NetworkConfig; readonly engines: TierEngines },
): Pick<NodeSettings, 'tierEngines'> {
  const spec = context.config.tiers.find((candidate) => candidate.id === tier);
  if (spec === undefined) throw new UnknownTierError(`This network has no tier "${tier.slice(0, 40)}".`);
  if (context.engines.isLockedByCommandLine(tier))
    throw new EngineChoiceLockedError(
      `${spec.label}'s engine was set on the command line (--tier-engine). Restart the node without it to choose here.`,
    );
  if (choice === 'openai' && current.engineServer === null && !context.engines.hasServer)
    throw new EngineServerMissingError(
      'Enter the address of your OpenAI-compatible server first (for example http://127.0.0.1:11434/v1).',
    );
  const simulated = context.engines.engine.simulated ?? false;
  if (choice === 'exo' && !simulated && !context.engines.exoInstalled)
    throw new ExoNotInstalledError(`EXO is not installed on this computer. ${exoInstallHint()}`);
  const tierEngines: Record<string, EngineKind> = { ...current.tierEngines };
  if (choice === 'auto') delete tierEngines[tier];
  else tierEngines[tier] = choice;
  return { tierEngines };
}

/** The stored server after setting `server` (null clears it, and tiers on it go back to `auto`). */
export function withEngineServer(
  current: NodeSettings,
  server: EngineServer | null,
): Pick<NodeSettings, 'tierEngines' | 'engineServer'> {
  if (server === null) {
    const tierEngines = Object.fromEntries(
      Object.entries(current.tierEngines).filter(([, kind]) => kind !== 'openai'),
    );
    return { tierEngines, engineServer: null };
  }
  if (!isEngineServerUrl(server.baseUrl))
    throw new InvalidEngineServerError(
      'The server address must start with http:// or https:// and hold no user name or password (put an API key in OPENGATEWAY_ENGINE_API_KEY).',
    );
  const model = server.model === null || server.model.trim() === '' ? null : server.model.trim();
  if (model !== null && model.length > 200)
    throw new InvalidEngineServerError('The model name is longer than 200 characters.');
  return { tierEngines: current.tierEngines, engineServer: { baseUrl: server.baseUrl, model } };
}
