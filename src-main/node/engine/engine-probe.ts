// A one-shot look at an engine for `opengateway-node engine status`: installed or not (and how to install),
// which EXO generation, whether its API answers, and which models it has ready.
import { errorMessage } from './engine-base.ts';
import { ExoApi, DEFAULT_EXO_API_PORT } from './exo/exo-api.ts';
import { EXO_GENERATION_LABELS, isSupportedGeneration, type ExoGeneration } from './exo/exo-generation.ts';
import { checkExoExposure, exposureWarning, type ExoExposure } from './exo/exo-exposure.ts';
import { instanceReadiness } from './exo/exo-placement.ts';
import { exoInstallHint, findExo, readExoHelp, type ExoSource } from './exo/find-exo.ts';
import { HttpJsonClient } from './http-json.ts';
import { decodeModelList } from './model-list.ts';
import { normaliseOpenAiBaseUrl } from './openai/openai-engine.ts';

export interface ProbedModel {
  readonly id: string;
  readonly ready: boolean;
  /** 0…1 while loading (EXO). */
  readonly progress?: number;
}

export interface EngineProbeReport {
  readonly engine: 'exo' | 'openai';
  readonly url: string;
  /** Whether the engine software is installed here (null: not applicable, a server elsewhere). */
  readonly found: boolean | null;
  readonly path: string | null;
  readonly source: ExoSource | null;
  readonly generation: ExoGeneration | null;
  readonly generationLabel: string | null;
  readonly supported: boolean | null;
  readonly reachable: boolean;
  /** The EXO node id of the API that answered. */
  readonly nodeId: string | null;
  readonly models: readonly ProbedModel[];
  /** EXO: who else can use its API (security finding 13); absent when it does not answer. */
  readonly exposure?: ExoExposure;
  /** How to install it, when not found. */
  readonly install: string | null;
  /** Anything that went wrong while looking, in words. */
  readonly problems: readonly string[];
}

export interface ExoProbeOptions {
  readonly url?: string;
  readonly exoPath?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly homedir?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** This machine's network addresses to check EXO's API on (tests); its interfaces by default. */
  readonly lanAddresses?: () => readonly string[];
}

export const DEFAULT_EXO_URL = `http://127.0.0.1:${DEFAULT_EXO_API_PORT}`;

export async function probeExo(options: ExoProbeOptions = {}): Promise<EngineProbeReport> {
  const url = (options.url ?? DEFAULT_EXO_URL).replace(/\/+$/, '');
  const platform = options.platform ?? process.platform;
  const problems: string[] = [];
  const [installation, api] = await Promise.all([
    inspectInstallation(options, platform, problems),
    inspectExoApi(url, options, problems),
  ]);
  return {
    engine: 'exo',
    url,
    ...installation,
    ...api,
    install: installation.found ? null : exoInstallHint(platform),
    problems,
  };
}

async function inspectInstallation(options: ExoProbeOptions, platform: NodeJS.Platform, problems: string[]) {
  const search = await findExo({
    ...(options.exoPath === undefined ? {} : { exoPath: options.exoPath }),
    env: options.env ?? process.env,
    platform,
    ...(options.homedir === undefined ? {} : { homedir: options.homedir }),
  });
  if (!search.found) {
    return {
      found: false,
      path: null,
      source: null,
      generation: null,
      generationLabel: null,
      supported: null,
    };
  }
  const help = await readExoHelp(search.path, {
    env: options.env ?? process.env,
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!help.ok) problems.push(help.reason);
  const generation = help.ok ? help.generation : null;
  return {
    found: true,
    path: search.path,
    source: search.source,
    generation,
    generationLabel: generation === null ? null : EXO_GENERATION_LABELS[generation],
    supported: generation === null ? null : isSupportedGeneration(generation),
  };
}

async function inspectExoApi(url: string, options: ExoProbeOptions, problems: string[]) {
  const api = new ExoApi(url, { timeoutMs: options.timeoutMs ?? 3_000 });
  let nodeId: string;
  try {
    nodeId = await api.nodeId(options.signal ? { signal: options.signal } : {});
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { reachable: false, nodeId: null, models: [] };
  }
  const models: ProbedModel[] = [];
  try {
    const state = await api.state(options.signal);
    for (const [instanceId, instance] of state.instances) {
      const readiness = instanceReadiness(state, instanceId);
      models.push({
        id: instance.modelId,
        ready: readiness.status === 'ready',
        ...(readiness.status === 'loading' ? { progress: readiness.progress } : {}),
      });
    }
  } catch (error) {
    problems.push(`EXO's /state could not be read: ${errorMessage(error)}`);
  }
  const exposure = await checkExoExposure({
    url,
    ...(options.lanAddresses ? { lanAddresses: options.lanAddresses } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const warning = exposureWarning(exposure, new URL(url).port || DEFAULT_EXO_API_PORT);
  if (warning !== null) problems.push(warning);
  return { reachable: true, nodeId, models, exposure };
}

export interface OpenAiProbeOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export async function probeOpenAi(options: OpenAiProbeOptions): Promise<EngineProbeReport> {
  const url = normaliseOpenAiBaseUrl(options.url);
  const problems: string[] = [];
  const http = new HttpJsonClient(url, {
    timeoutMs: options.timeoutMs ?? 3_000,
    ...(options.apiKey ? { headers: { authorization: `Bearer ${options.apiKey}` } } : {}),
  });
  let models: ProbedModel[] = [];
  let reachable = false;
  try {
    const ids = decodeModelList(await http.request('/models', { signal: options.signal }), url);
    reachable = true;
    models = ids.map((id) => ({ id, ready: true }));
  } catch (error) {
    if (options.signal?.aborted) throw error;
    problems.push(errorMessage(error));
  }
  return {
    engine: 'openai',
    url,
    found: null,
    path: null,
    source: null,
    generation: null,
    generationLabel: null,
    supported: null,
    reachable,
    nodeId: null,
    models,
    install: null,
    problems,
  };
}
