// Small bounded JSON-over-HTTP helper for engine APIs: every call has a timeout, a size limit on the body,
// and turns network failures into EngineUnavailableError and error statuses into EngineRequestError.
import {
  EngineProtocolError,
  EngineRequestError,
  EngineTimeoutError,
  EngineUnavailableError,
} from './errors.ts';

export interface HttpJsonInit {
  readonly fetch?: typeof fetch;
  /** Per call. Default 5 s. */
  readonly timeoutMs?: number;
  /** Largest body accepted. Default 16 MiB (EXO's /state carries model cards and topology). */
  readonly maxBytes?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpJsonCall {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export class HttpJsonClient {
  readonly baseUrl: string;
  readonly #init: HttpJsonInit;

  constructor(baseUrl: string, init: HttpJsonInit = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#init = init;
  }

  /** Calls `path` and returns the decoded JSON body. */
  async request(path: string, call: HttpJsonCall = {}): Promise<unknown> {
    const timeoutMs = call.timeoutMs ?? this.#init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await (this.#init.fetch ?? fetch)(url, {
        method: call.method ?? 'GET',
        headers: {
          accept: 'application/json',
          ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.#init.headers,
        },
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        signal,
      });
      if (!response.ok) {
        throw new EngineRequestError(
          `${url} answered HTTP ${response.status}: ${await readErrorMessage(response)}`,
          response.status,
        );
      }
      return JSON.parse(await this.#readBody(response, url)) as unknown;
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      if (timeout.aborted) throw new EngineTimeoutError(`${url} did not answer within ${timeoutMs} ms`);
      if (error instanceof EngineRequestError || error instanceof EngineProtocolError) throw error;
      if (error instanceof SyntaxError) throw new EngineProtocolError(`${url} answered with malformed JSON`);
      const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
      throw new EngineUnavailableError(
        `cannot reach ${url}: ${cause?.code ?? cause?.message ?? String(error)}`,
      );
    }
  }

  async #readBody(response: Response, url: string): Promise<string> {
    const limit = this.#init.maxBytes ?? DEFAULT_MAX_BYTES;
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > limit) {
      await response.body?.cancel();
      throw new EngineProtocolError(`${url} answered with ${declared} bytes, more than the ${limit} allowed`);
    }
    if (!response.body) return '';
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new EngineProtocolError(`${url} answered with more than the ${limit} bytes allowed`);
      }
      parts.push(value);
    }
    return new TextDecoder().decode(Buffer.concat(parts));
  }
}

/** The `error.message` of an OpenAI-shaped error body, or the start of whatever the body was. */
export async function readErrorMessage(response: Response): Promise<string> {
  const text = await readLimited(response, MAX_ERROR_BODY_BYTES);
  try {
    const value = JSON.parse(text) as { error?: { message?: unknown } | string; detail?: unknown };
    if (typeof value.error === 'string') return value.error;
    if (typeof value.error?.message === 'string') return value.error.message;
    if (typeof value.detail === 'string') return value.detail;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.trim().slice(0, 200) || response.statusText;
}

/** Read at most `limit` bytes of a body as text, discarding the rest. */
export async function readLimited(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(parts).subarray(0, limit));
}
