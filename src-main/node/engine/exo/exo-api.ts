// A typed client for the EXO HTTP API endpoints the supervisor uses (ref/exo-integration.md §2.1).
import { HttpJsonClient, type HttpJsonInit } from '../http-json.ts';
import { decodeModelList } from '../model-list.ts';
import {
  decodeInstance,
  decodeNodeId,
  decodePreviews,
  decodeState,
  decodeTasks,
  type ExoInstanceView,
  type ExoPlacementPreview,
  type ExoStateView,
  type ExoTaskView,
} from './exo-state.ts';

export const DEFAULT_EXO_API_PORT = 52415;

export class ExoApi {
  readonly #http: HttpJsonClient;
  #lastState: ExoStateView | null = null;

  constructor(baseUrl: string, init: HttpJsonInit = {}) {
    this.#http = new HttpJsonClient(baseUrl, init);
  }

  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  /** This EXO process's node id (random per process start). Also the cheapest liveness probe. */
  async nodeId(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string> {
    return decodeNodeId(await this.#http.request('/node_id', options));
  }

  async state(signal?: AbortSignal): Promise<ExoStateView> {
    const state = decodeState(await this.#http.request('/state', { signal }));
    this.#lastState = state;
    return state;
  }

  /** The most recent /state this API answered (the supervisor reads it every few seconds). */
  get lastState(): ExoStateView | null {
    return this.#lastState;
  }

  async tasks(signal?: AbortSignal): Promise<ExoTaskView[]> {
    return decodeTasks(await this.#http.request('/state/tasks', { signal }));
  }

  async instance(instanceId: string, signal?: AbortSignal): Promise<ExoInstanceView> {
    return decodeInstance(
      await this.#http.request(`/state/instances/${encodeURIComponent(instanceId)}`, { signal }),
    );
  }

  async previews(modelId: string, signal?: AbortSignal): Promise<ExoPlacementPreview[]> {
    const query = new URLSearchParams({ model_id: modelId });
    // Previews may fetch an unknown card from Hugging Face first: allow time for it.
    return decodePreviews(
      await this.#http.request(`/instance/previews?${query.toString()}`, { signal, timeoutMs: 60_000 }),
    );
  }

  /** `POST /instance`: EXO acknowledges at once and places later; confirm it in /state. */
  async createInstance(instance: unknown, signal?: AbortSignal): Promise<void> {
    await this.#http.request('/instance', { method: 'POST', body: { instance }, signal, timeoutMs: 30_000 });
  }

  async deleteInstance(instanceId: string, signal?: AbortSignal): Promise<void> {
    await this.#http.request(`/instance/${encodeURIComponent(instanceId)}`, { method: 'DELETE', signal });
  }

  /** Stops a running generation; the command id is the completion's `id`. */
  async cancel(commandId: string, signal?: AbortSignal): Promise<void> {
    await this.#http.request(`/v1/cancel/${encodeURIComponent(commandId)}`, {
      method: 'POST',
      signal,
      timeoutMs: 2_000,
    });
  }

  /** True when the pre-rewrite exo answers here (its `GET /healthcheck` → `{"status":"ok"}`). */
  async isLegacyExo(signal?: AbortSignal): Promise<boolean> {
    const body = await this.#http.request('/healthcheck', { signal, timeoutMs: 1_500 });
    return body !== null && typeof body === 'object' && (body as { status?: unknown }).status === 'ok';
  }

  /** Every model card EXO knows (downloaded or not). */
  async models(signal?: AbortSignal): Promise<string[]> {
    return decodeModelList(await this.#http.request('/models', { signal }), 'EXO');
  }
}
