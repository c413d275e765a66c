// Fetches one model file: resumes a partial download with an HTTP Range request, hashes the bytes as they are
// written, and only a file whose SHA-256 matches the catalog is renamed into place. Everything the server
// says (status, Content-Range, Content-Length, the bytes themselves) is checked, never trusted.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from '../storage/atomic-write.ts';
import {
  ModelBadResponseError,
  ModelHashMismatchError,
  ModelUnreachableError,
  TransferInterruptedError,
} from './errors.ts';
import type { GgufFile } from '../../../src-shared/network-config/index.ts';
import { hostOf } from './url-host.ts';

export interface DownloadFileOptions {
  readonly signal?: AbortSignal;
  /** Called with the bytes of this file on disk so far (resumed bytes included). */
  readonly onBytes?: (receivedBytes: number) => void;
  readonly fetch?: typeof fetch;
  /** No byte for this long → the transfer is cut and tried again. */
  readonly idleTimeoutMs?: number;
  /** Tries per URL after an interrupted transfer. */
  readonly retries?: number;
  /** The bytes are all here; the hash is being checked. */
  readonly onVerifying?: () => void;
  /** Wait before try n (1-based). */
  readonly retryDelayMs?: (attempt: number) => number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 5;
const CONTENT_RANGE = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16}|\*)$/;

/** The partial file beside `path` (same folder, so the final rename is atomic). */
export function partialPath(path: string): string {
  return `${path}.part`;
}

/** Download `file` to `path` (verified, renamed into place). Resolves when the file is there. */
export async function downloadFile(
  file: GgufFile,
  path: string,
  options: DownloadFileOptions = {},
): Promise<void> {
  const part = partialPath(path);
  const hasher = new PartHasher(part);
  const retries = options.retries ?? DEFAULT_RETRIES;
  const delay = options.retryDelayMs ?? ((attempt) => Math.min(10_000, 500 * 2 ** (attempt - 1)));
  let lastProblem = 'no URL to fetch from';
  let done = false;
  for (const url of file.urls) {
    for (let attempt = 0; attempt <= retries && !done; attempt++) {
      options.signal?.throwIfAborted();
      if (attempt > 0) await sleep(delay(attempt), options.signal);
      try {
        await transfer(url, file, part, hasher, options);
        done = true;
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (error instanceof TransferInterruptedError) {
          lastProblem = error.message;
          continue;
        }
        if (error instanceof ModelBadResponseError) {
          lastProblem = error.message;
          break; // This server cannot serve the file: the next URL.
        }
        throw error;
      }
    }
    if (done) break;
  }
  if (!done) throw new ModelUnreachableError(file.name, lastProblem);

  options.onVerifying?.();
  const actual = await hasher.digest();
  if (actual !== file.sha256) {
    await rm(part, { force: true });
    throw new ModelHashMismatchError(file.name, file.sha256, actual);
  }
  const handle = await open(part, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(part, path);
  await syncDirectory(dirname(path));
}

/** One HTTP request that appends to the partial file from where it ends. */
async function transfer(
  url: string,
  file: GgufFile,
  part: string,
  hasher: PartHasher,
  options: DownloadFileOptions,
): Promise<void> {
  let have = await sizeOf(part);
  if (have > file.sizeBytes) {
    await rm(part, { force: true });
    have = 0;
  }
  if (have === file.sizeBytes) return; // Complete already; the hash decides.
  const controller = new AbortController();
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () =>
        controller.abort(new TransferInterruptedError(`no data from ${hostOf(url)} for ${idleMs / 1000} s`)),
      idleMs,
    );
  };
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let handle: FileHandle | undefined;
  try {
    armIdle();
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(url, {
        headers: have > 0 ? { range: `bytes=${have}-` } : {},
        signal: controller.signal,
        redirect: 'follow',
      });
    } catch (error) {
      throw interrupted(controller, error, `${hostOf(url)} did not answer`);
    }
    let start: number;
    if (response.status === 206) {
      start = checkContentRange(url, response.headers.get('content-range'), have, file.sizeBytes);
    } else if (response.status === 200) {
      start = 0; // The server ignored the range: start over.
      const length = response.headers.get('content-length');
      if (length !== null && Number(length) !== file.sizeBytes)
        throw new ModelBadResponseError(
          url,
          `the file is ${length} bytes, the catalog says ${file.sizeBytes}`,
        );
    } else if (response.status === 416) {
      await rm(part, { force: true }); // Our partial file does not fit this server's file.
      throw new TransferInterruptedError(`${hostOf(url)} refused the range; starting over`);
    } else if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw new TransferInterruptedError(`${hostOf(url)} answered HTTP ${response.status}`);
    } else {
      throw new ModelBadResponseError(url, `HTTP ${response.status}`);
    }
    if (response.body === null) throw new TransferInterruptedError(`${hostOf(url)} sent no body`);
    if (start === 0 && have > 0) await truncate(part, 0);
    await hasher.catchUp(start);
    handle = await open(part, start === 0 ? 'w' : 'a', 0o644);
    let written = start;
    const reader = response.body.getReader();
    try {
      for (;;) {
        let chunk: { done: true; value?: undefined } | { done: false; value: Uint8Array };
        try {
          chunk = (await reader.read()) as typeof chunk;
        } catch (error) {
          throw interrupted(
            controller,
            error,
            `the connection to ${hostOf(url)} was cut at ${written} bytes`,
          );
        }
        if (chunk.done) break;
        armIdle();
        if (written + chunk.value.byteLength > file.sizeBytes)
          throw new ModelBadResponseError(url, `sent more than the catalog's ${file.sizeBytes} bytes`);
        await handle.write(chunk.value);
        hasher.update(chunk.value);
        written += chunk.value.byteLength;
        options.onBytes?.(written);
      }
    } finally {
      reader.releaseLock();
    }
    if (written < file.sizeBytes)
      throw new TransferInterruptedError(
        `${hostOf(url)} ended the file at ${written} of ${file.sizeBytes} bytes`,
      );
  } catch (error) {
    if (error instanceof ModelBadResponseError) await rm(part, { force: true });
    throw error;
  } finally {
    clearTimeout(idle);
    options.signal?.removeEventListener('abort', onAbort);
    await handle?.close();
    // Stop the body stream if we leave early (the server must not keep sending into nothing).
    if (!controller.signal.aborted) controller.abort();
  }
}

/** The start offset a 206 answer promises, checked against what we asked for and the catalog's size. */
function checkContentRange(url: string, header: string | null, asked: number, size: number): number {
  const match = header === null ? null : CONTENT_RANGE.exec(header.trim());
  if (match === null) throw new ModelBadResponseError(url, 'a partial answer without a valid Content-Range');
  const [from, to, total] = [Number(match[1]), Number(match[2]), match[3]!];
  if (total !== '*' && Number(total) !== size)
    throw new ModelBadResponseError(url, `the file is ${total} bytes, the catalog says ${size}`);
  if (from !== asked || to < from || to >= size)
    throw new ModelBadResponseError(url, `sent range ${from}-${to}, asked for ${asked}-`);
  return from;
}

function interrupted(controller: AbortController, error: unknown, fallback: string): Error {
  const reason: unknown = controller.signal.reason;
  if (controller.signal.aborted && reason instanceof TransferInterruptedError) return reason;
  if (controller.signal.aborted) return (reason as Error) ?? new Error(fallback);
  return new TransferInterruptedError(
    `${fallback} (${error instanceof Error ? error.message : String(error)})`,
  );
}

/** SHA-256 of the partial file, kept in step with what is on disk across resumes. */
class PartHasher {
  readonly #path: string;
  #hash: Hash = createHash('sha256');
  #bytes = 0;

  constructor(path: string) {
    this.#path = path;
  }

  /** Make the hash cover exactly the first `bytes` of the file (re-reading it if the two drifted apart). */
  async catchUp(bytes: number): Promise<void> {
    if (bytes === this.#bytes) return;
    this.#hash = createHash('sha256');
    this.#bytes = 0;
    if (bytes === 0) return;
    for await (const chunk of createReadStream(this.#path, { start: 0, end: bytes - 1 })) {
      this.update(chunk as Buffer);
    }
  }

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.byteLength;
  }

  async digest(): Promise<string> {
    await this.catchUp(await sizeOf(this.#path));
    return this.#hash.copy().digest('hex');
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
