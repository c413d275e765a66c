import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GgufModel } from '../../../../src-shared/network-config/index.ts';
import { DiskQueue } from '../../../../src-main/node/models/disk-queue.ts';
import {
  ModelBadResponseError,
  ModelDiskSpaceError,
  ModelHashMismatchError,
  ModelUnreachableError,
} from '../../../../src-main/node/models/errors.ts';
import { fetchModel, type FetchModelOptions } from '../../../../src-main/node/models/fetch-model.ts';
import { ModelCache } from '../../../../src-main/node/models/model-cache.ts';
import type { DownloadProgress } from '../../../../src-main/node/models/progress-meter.ts';
import { ModelFileServer } from './model-file-server.ts';

const SIZE = 600 * 1024;
let dir: string;
let server: ModelFileServer;
let base: string;
let bytes: Uint8Array;
let cache: ModelCache;

function modelFor(bytesOf: Uint8Array, path = '/tiny.gguf', id = 'tiny-test'): GgufModel {
  return {
    format: 'gguf',
    id,
    quantization: 'F32',
    contextLength: 256,
    memoryBytes: bytesOf.length * 2,
    files: [
      {
        name: 'tiny.gguf',
        urls: [`${base}${path}`],
        sizeBytes: bytesOf.length,
        sha256: createHash('sha256').update(bytesOf).digest('hex'),
      },
    ],
  };
}

const fast = (extra: Partial<FetchModelOptions> = {}): FetchModelOptions => ({
  queue: new DiskQueue(),
  retryDelayMs: () => 0,
  freeSpace: () => Promise.resolve(100e9),
  ...extra,
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-models-'));
  cache = new ModelCache(join(dir, 'models'));
  bytes = randomBytes(SIZE);
  server = new ModelFileServer();
  base = await server.start();
});
afterEach(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('fetchModel', () => {
  it('downloads, verifies and indexes a model, reporting progress with rate and time left', async () => {
    server.serve('/tiny.gguf', bytes);
    const model = modelFor(bytes);
    const progress: DownloadProgress[] = [];
    let clock = 0;
    await fetchModel(
      cache,
      model,
      fast({ onProgress: (p) => progress.push(p), progressIntervalMs: 0, now: () => (clock += 10) }),
    );
    expect(await readFile(cache.filePath(model))).toEqual(Buffer.from(bytes));
    expect(await cache.isReady(model)).toBe(true);
    expect((await cache.list()).map((entry) => entry.id)).toEqual(['tiny-test']);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toMatchObject({ receivedBytes: SIZE, totalBytes: SIZE, etaSeconds: 0 });
    const middle = progress.find((p) => p.receivedBytes > 0 && p.receivedBytes < SIZE)!;
    expect(middle.bytesPerSecond).toBeGreaterThan(0);
    expect(middle.etaSeconds).toBeGreaterThan(0);
    // Received bytes never go backwards.
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.receivedBytes).toBeGreaterThanOrEqual(progress[i - 1]!.receivedBytes);
    // A second call finds it ready and fetches nothing.
    const before = server.requests.length;
    await fetchModel(cache, model, fast());
    expect(server.requests.length).toBe(before);
  });

  it('resumes a cut connection from where it stopped (HTTP Range), and the file is whole', async () => {
    const cutAt = 200 * 1024 + 123;
    server.serve('/tiny.gguf', bytes, { cutAfterBytes: cutAt, cutTimes: 1 });
    const model = modelFor(bytes);
    await fetchModel(cache, model, fast());
    // The resume asks for the rest from the first byte this side did not get (bytes in flight at the cut
    // are lost, as on a real network), and only the rest is sent again.
    expect(server.requests.map((r) => r.range?.replace(/\d+/, 'N') ?? null)).toEqual([null, 'bytes=N-']);
    const resumedAt = Number(/\d+/.exec(server.requests[1]!.range!)![0]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(cutAt);
    expect(server.requests[1]!.bytesSent).toBe(SIZE - resumedAt);
    expect(
      createHash('sha256')
        .update(await readFile(cache.filePath(model)))
        .digest('hex'),
    ).toBe(model.files[0]!.sha256);
  });

  it('resumes a partial file left by an earlier run (an app restart), hashing what is already there', async () => {
    server.serve('/tiny.gguf', bytes, { cutAfterBytes: 300 * 1024, cutTimes: 1 });
    const model = modelFor(bytes);
    await expect(fetchModel(cache, model, fast({ retries: 0 }))).rejects.toBeInstanceOf(
      ModelUnreachableError,
    );
    const kept = (await stat(`${cache.filePath(model)}.part`)).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(300 * 1024);
    // A new cache object, as after a restart: nothing in memory, only the partial file on disk.
    await fetchModel(new ModelCache(cache.dir), model, fast());
    expect(server.requests.at(-1)!.range).toBe(`bytes=${kept}-`);
    expect(await cache.isReady(model)).toBe(true);
  });

  it('refuses and deletes a corrupted file, with a reason that says so', async () => {
    server.serve('/tiny.gguf', bytes, { corrupt: true });
    const model = modelFor(bytes);
    const error = await fetchModel(cache, model, fast()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelHashMismatchError);
    expect((error as ModelHashMismatchError).reason).toBe('hash-mismatch');
    expect((error as Error).message).toMatch(/tiny\.gguf failed verification .* it was deleted/);
    expect(await readdir(cache.modelDir(model))).toEqual([]);
    expect(await cache.isReady(model)).toBe(false);
  });

  it('refuses a full disk before the download starts', async () => {
    server.serve('/tiny.gguf', bytes);
    const model = modelFor(bytes);
    const error = await fetchModel(
      cache,
      model,
      fast({ freeSpace: () => Promise.resolve(SIZE + 1000), reserveBytes: 1e6 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelDiskSpaceError);
    expect((error as ModelDiskSpaceError).reason).toBe('no-space');
    expect((error as Error).message).toMatch(/not enough disk space for tiny-test: needs .* free, has/);
    expect(server.requests).toEqual([]);
  });

  it('says a model is unreachable when no URL answers, after its retries', async () => {
    const model = modelFor(bytes, '/missing.gguf');
    const unreachable = { ...model, files: [{ ...model.files[0]!, urls: ['http://127.0.0.1:9/tiny.gguf'] }] };
    const error = await fetchModel(cache, unreachable, fast({ retries: 2 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnreachableError);
    expect((error as ModelUnreachableError).reason).toBe('unreachable');
  });

  it('moves on to the next URL when a server answers with the wrong file size or more bytes than promised', async () => {
    server.serve('/long.gguf', bytes, { extraBytes: 5000, ignoreRange: true });
    server.serve('/good.gguf', bytes);
    const model = modelFor(bytes, '/long.gguf');
    const file = model.files[0]!;
    await fetchModel(
      cache,
      { ...model, files: [{ ...file, urls: [file.urls[0]!, `${base}/good.gguf`] }] },
      fast(),
    );
    expect(server.requests.map((r) => r.path)).toEqual(['/long.gguf', '/good.gguf']);
    expect(await cache.isReady(model)).toBe(true);
    // Alone, the bad mirror is reported as such.
    const other = new ModelCache(join(dir, 'other'));
    server.serve('/short.gguf', bytes.subarray(0, SIZE - 1));
    const short = modelFor(bytes, '/short.gguf');
    await expect(fetchModel(other, short, fast())).rejects.toBeInstanceOf(ModelUnreachableError);
    const bad = await fetchModel(other, modelFor(bytes, '/long.gguf', 'long'), fast()).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(ModelUnreachableError);
    expect((bad as Error).message).toMatch(/bad response/);
    expect(ModelBadResponseError).toBeDefined();
  });

  it('gives up on a server that goes silent mid-file and resumes on a new connection', async () => {
    server.serve('/tiny.gguf', bytes, { stallAfterBytes: 128 * 1024, stallTimes: 1 });
    const model = modelFor(bytes);
    await fetchModel(cache, model, fast({ idleTimeoutMs: 300 }));
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(await cache.isReady(model)).toBe(true);
  });

  it('refuses a resume answered with another range than asked, and throws the partial file away', async () => {
    server.serve('/tiny.gguf', bytes, { cutAfterBytes: 100 * 1024, cutTimes: 1, wrongRange: true });
    const model = modelFor(bytes);
    const error = await fetchModel(cache, model, fast()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnreachableError);
    expect((error as Error).message).toMatch(/bad response: sent range 0-\d+, asked for [1-9]\d*-/);
    await expect(stat(`${cache.filePath(model)}.part`)).rejects.toThrow(/ENOENT/);
  });

  it('starts over when a server ignores the range on resume', async () => {
    server.serve('/tiny.gguf', bytes, { cutAfterBytes: 100 * 1024, cutTimes: 1, ignoreRange: true });
    const model = modelFor(bytes);
    await fetchModel(cache, model, fast());
    expect(server.requests[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(server.requests[1]!.bytesSent).toBe(SIZE);
    expect(await cache.isReady(model)).toBe(true);
  });

  it('downloads one model at a time per disk', async () => {
    const other = randomBytes(SIZE);
    server.serve('/a.gguf', bytes);
    server.serve('/b.gguf', other);
    const queue = new DiskQueue();
    await Promise.all([
      fetchModel(cache, modelFor(bytes, '/a.gguf', 'a'), fast({ queue })),
      fetchModel(cache, modelFor(other, '/b.gguf', 'b'), fast({ queue })),
    ]);
    expect(server.maxConcurrent).toBe(1);
    expect((await cache.list()).map((entry) => entry.id).sort()).toEqual(['a', 'b']);
  });

  it('stops at once when aborted, keeping the partial file for later', async () => {
    server.serve('/tiny.gguf', bytes);
    const model = modelFor(bytes);
    const controller = new AbortController();
    const error = await fetchModel(
      cache,
      model,
      fast({
        signal: controller.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.receivedBytes > 100 * 1024) controller.abort(new Error('paused'));
        },
      }),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('paused');
    expect((await stat(`${cache.filePath(model)}.part`)).size).toBeGreaterThan(100 * 1024);
    expect(await cache.isReady(model)).toBe(false);
  });
});
