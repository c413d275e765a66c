// The OpenAI-compatible engine: a server the user already runs (Ollama, llama.cpp's llama-server, LM Studio,
// vLLM) at a base URL, optionally started by a configured command. This is how Windows machines contribute.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequest, ChatUsage } from '../../../../src-shared/protocol/chat.ts';
import type { ChatOptions, ChatStream } from '../engine.ts';
import { EngineBase, errorMessage, type EngineBaseInit, type RunOutcome } from '../engine-base.ts';
import { EngineNotReadyError, EngineStartError } from '../errors.ts';
import { openHttpChatStream } from '../http-chat-stream.ts';
import { HttpJsonClient } from '../http-json.ts';
import { decodeModelList } from '../model-list.ts';
import { modelSizeMismatch } from '../../../../src-shared/tiers/model-size.ts';

/** A command that starts the server, run in its own process group and stopped with the engine. */
export interface OpenAiStartCommand {
  readonly command: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface OpenAiEngineInit extends EngineBaseInit {
  /** Including the version path, as OpenAI clients take it: `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string;
  /** Sent as a bearer token. Never logged. */
  readonly apiKey?: string;
  /** The model to serve; default the first one the server lists that fits the tier. */
  readonly model?: string;
  /**
   * The tier it serves: a model whose id names another size is refused (model-size.ts), so one server
   * holding several models serves each tier the one of its size.
   */
  readonly tier?: { readonly label: string; readonly parameterBillions: number | null };
  readonly startCommand?: OpenAiStartCommand;
  /** After starting the command, how long the server may take to answer. Default 120 s. */
  readonly startupTimeoutMs?: number;
  /** Polling while waiting for the server. Default 1 s. */
  readonly pollIntervalMs?: number;
  /** Liveness probe (GET /models) interval once ready. Default 5 s. */
  readonly livenessIntervalMs?: number;
  /** Default 5 s. */
  readonly livenessTimeoutMs?: number;
  /** Failed probes in a row before the server counts as gone (or hung, if we started it). Default 3. */
  readonly livenessFailures?: number;
  readonly chatIdleTimeoutMs?: number;
  readonly maxEventChars?: number;
  /** The environment a start command inherits. Default process.env. */
  readonly baseEnv?: NodeJS.ProcessEnv;
  readonly fetch?: typeof fetch;
}

/** `http://host:port` alone means the OpenAI convention's `/v1`. */
export function normaliseOpenAiBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1';
  return url.toString().replace(/\/+$/, '');
}

/** Prompt tokens guessed at four characters a token, for servers that send no usage. */
function estimatePromptTokens(request: ChatRequest): number {
  const chars = request.messages.reduce((sum, message) => {
    const content = message.content;
    if (typeof content === 'string') return sum + content.length;
    return (
      sum + (content ?? []).reduce((parts, part) => parts + (part.type === 'text' ? part.text.length : 0), 0)
    );
  }, 0);
  return Math.ceil(chars / 4);
}

export class OpenAiEngine extends EngineBase {
  readonly kind = 'openai' as const;
  protected readonly engineName: string;
  readonly #init: OpenAiEngineInit;
  readonly #baseUrl: string;
  readonly #http: HttpJsonClient;
  #model: string | null = null;
  #started = false;

  constructor(init: OpenAiEngineInit) {
    super(init);
    this.#init = init;
    this.#baseUrl = normaliseOpenAiBaseUrl(init.baseUrl);
    this.engineName = `the server at ${this.#baseUrl}`;
    this.#http = new HttpJsonClient(this.#baseUrl, {
      ...(init.fetch ? { fetch: init.fetch } : {}),
      ...(init.apiKey ? { headers: { authorization: `Bearer ${init.apiKey}` } } : {}),
    });
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** True when this engine started the server (with its start command). */
  get startedServer(): boolean {
    return this.#started;
  }

  chat(request: ChatRequest, options: ChatOptions = {}): ChatStream {
    const model = this.#model;
    if (this.state.status !== 'ready' || model === null) {
      throw new EngineNotReadyError('OpenAI-compatible', this.state.status);
    }
    const init = this.#init;
    return openHttpChatStream({
      engineName: this.engineName,
      url: `${this.#baseUrl}/chat/completions`,
      body: { ...request, model, stream: true, stream_options: { include_usage: true } },
      ...(init.apiKey ? { headers: { authorization: `Bearer ${init.apiKey}` } } : {}),
      signal: options.signal,
      ...(init.fetch ? { fetch: init.fetch } : {}),
      ...(init.maxEventChars === undefined ? {} : { maxEventChars: init.maxEventChars }),
      ...(init.chatIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: init.chatIdleTimeoutMs }),
      // Older servers ignore stream_options: count the chunks rather than pay nothing.
      estimateUsage: (completionChunks): ChatUsage => {
        const promptTokens = estimatePromptTokens(request);
        return {
          promptTokens,
          completionTokens: completionChunks,
          totalTokens: promptTokens + completionChunks,
          estimated: true,
        };
      },
    });
  }

  protected async supervise(signal: AbortSignal): Promise<void> {
    const start = this.#init.startCommand;
    const waiting = `waiting for the OpenAI-compatible server at ${this.#baseUrl}`;
    const external = () =>
      this.superviseExternal(signal, waiting, (runSignal) =>
        this.#serve(runSignal, Number.POSITIVE_INFINITY),
      );
    if (!start) {
      await external();
      return;
    }
    if (await this.#answers(signal)) {
      this.note(`${this.engineName} already answers; using it without running the start command`);
      await external();
      return;
    }
    this.#started = true;
    await this.superviseRestarts(signal, (runSignal) =>
      this.withProcess(
        {
          command: start.command,
          args: start.args ?? [],
          ...(start.cwd === undefined ? {} : { cwd: start.cwd }),
          env: { ...(this.#init.baseEnv ?? process.env), ...start.env },
        },
        runSignal,
        (life) => this.#serve(life, this.#init.startupTimeoutMs ?? 120_000),
      ),
    );
  }

  async #answers(signal: AbortSignal): Promise<boolean> {
    try {
      await this.#models(signal, 1_500);
      return true;
    } catch {
      return false;
    }
  }

  #models(signal: AbortSignal, timeoutMs = this.#init.livenessTimeoutMs ?? 5_000): Promise<string[]> {
    return this.#http
      .request('/models', { signal, timeoutMs })
      .then((value) => decodeModelList(value, this.engineName));
  }

  /** Waits for the server, picks the model, reports ready, then watches it until it stops answering. */
  async #serve(signal: AbortSignal, startupTimeoutMs: number): Promise<RunOutcome> {
    try {
      const models = await this.#waitForModels(signal, startupTimeoutMs);
      const model = this.#pickModel(models);
      this.#model = model;
      this.setState({ status: 'ready', models: [model] });
      this.note(`serving ${model} from ${this.#baseUrl}`);
      this.markHealthy();
      return await this.#monitor(signal, model);
    } finally {
      this.#model = null;
    }
  }

  async #waitForModels(signal: AbortSignal, timeoutMs: number): Promise<string[]> {
    const started = Date.now();
    this.setState({
      status: 'starting',
      detail: `waiting for the OpenAI-compatible server at ${this.#baseUrl}`,
    });
    for (;;) {
      try {
        return await this.#models(signal);
      } catch (error) {
        if (signal.aborted) throw error;
        if (Date.now() - started > timeoutMs) {
          throw new Error(
            `did not answer on ${this.#baseUrl} within ${Math.round(timeoutMs / 1000)} s: ${errorMessage(error)}`,
            { cause: error },
          );
        }
      }
      await sleep(this.#init.pollIntervalMs ?? 1_000, undefined, { signal });
    }
  }

  #pickModel(models: readonly string[]): string {
    const wanted = this.#init.model;
    const tier = this.#init.tier;
    const mismatch = (model: string) =>
      tier === undefined ? null : modelSizeMismatch(model, tier.parameterBillions);
    if (wanted !== undefined) {
      if (!models.includes(wanted))
        throw new EngineStartError(
          `${this.engineName} does not serve ${wanted} (it lists: ${models.join(', ') || 'no models'}); ` +
            'download or load that model there first',
        );
      const why = mismatch(wanted);
      if (why !== null) throw new EngineStartError(`${why}: choose another model for ${tier!.label}`);
      return wanted;
    }
    if (models.length === 0)
      throw new EngineStartError(`${this.engineName} lists no models; load one there first`);
    const fitting = models.find((model) => mismatch(model) === null);
    if (fitting === undefined)
      throw new EngineStartError(
        `none of the models ${this.engineName} lists fits ${tier!.label} (${tier!.parameterBillions}B parameters): ` +
          `it lists ${models.join(', ')}; load one of that size there`,
      );
    return fitting;
  }

  async #monitor(signal: AbortSignal, model: string): Promise<RunOutcome> {
    const threshold = this.#init.livenessFailures ?? 3;
    let failures = 0;
    for (;;) {
      await sleep(this.#init.livenessIntervalMs ?? 5_000, undefined, { signal });
      let models: string[];
      try {
        models = await this.#models(signal);
      } catch (error) {
        if (signal.aborted) throw error;
        failures += 1;
        this.note(
          `${this.engineName} did not answer /models (${failures} of ${threshold}): ${errorMessage(error)}`,
        );
        if (failures >= threshold)
          return { kind: 'crashed', why: `stopped answering (/models failed ${threshold} times in a row)` };
        continue;
      }
      failures = 0;
      if (!models.includes(model)) throw new EngineStartError(`${this.engineName} no longer serves ${model}`);
    }
  }
}
