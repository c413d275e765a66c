// A file whose peer fetch fails goes to a whole-file HTTP download; the blocks already verified from its
// start are not fetched again: they go into the download's partial file, which resumes after them. Real
// parts: a libp2p node alone (no provider), the weights service's blockstore on disk, a real HTTP mirror
// that honours open-ended ranges only (so the weights origin, which asks closed ranges, fails).
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlockstore } from 'blockstore-fs';
import { CID } from 'multiformats/cid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GgufModel } from '../../../../src-shared/network-config/index.ts';
import { DiskQueue } from '../../../../src-main/node/models/disk-queue.ts';
import { fetchModel } from '../../../../src-main/node/models/fetch-model.ts';
import { ModelCache } from '../../../../src-main/node/models/model-cache.ts';
import { partialPath } from '../../../../src-main/node/models/download-file.ts';
import { importFileDag } from '../../../../src-main/node/weights/file-dag.ts';
import { fileLayout } from '../../../../src-main/node/weights/file-layout.ts';
import { readBlock } from '../../../../src-main/node/weights/block-bytes.ts';
import { salvagePrefix } from '../../../../src-main/node/weights/salvage-prefix.ts';
import { WeightsService } from '../../../../src-main/node/weights/weights-service.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p } from '../p2p/loopback-network.ts';
import { ModelFileServer } from '../models/model-file-server.ts';

const MiB = 1024 * 1024;
const SIZE = 6 * MiB + 12_345;

let dir: string;
let bytes: Uint8Array;
let source: string;
let cid: string;

/** Store the file's DAG in `blocksDir` and delete its leaves from `keep` on (an earlier, cut-off fetch). */
async function storeFirstLeaves(blocksDir: string, keep: number, corrupt?: number): Promise<void> {
  const store = new FsBlockstore(blocksDir);
  await store.open();
  try {
    await importFileDag(source, store);
    const leaves = await fileLayout('m.gguf', CID.parse(cid), SIZE, (c) => readBlock(store, c));
    for (const leaf of leaves.slice(keep)) await store.delete(leaf.cid);
    if (corrupt !== undefined) {
      const leaf = leaves[corrupt]!;
      const damaged = Uint8Array.from(await readBlock(store, leaf.cid));
      damaged[10] = damaged[10]! ^ 0xff;
      await store.put(leaf.cid, damaged);
    }
  } finally {
    await store.close();
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-salvage-'));
  bytes = randomBytes(SIZE);
  source = join(dir, 'source.gguf');
  await writeFile(source, bytes);
  cid = (await importFileDag(source)).toString();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('salvagePrefix', () => {
  it('writes the verified leaves from the start up to the first missing or damaged one', async () => {
    await storeFirstLeaves(join(dir, 'blocks'), 5, 3);
    const store = new FsBlockstore(join(dir, 'blocks'));
    await store.open();
    const target = join(dir, 'out.gguf');
    const file = { name: 'm.gguf', cid, sizeBytes: SIZE };
    expect(await salvagePrefix(store, file, target)).toBe(3 * MiB);
    expect(Buffer.from(await readFile(partialPath(target))).equals(bytes.subarray(0, 3 * MiB))).toBe(true);
    await store.close();
  });
});

describe('a peer fetch that fails falls back to HTTP without refetching verified blocks', () => {
  let p2p: P2pService;
  let weights: WeightsService;
  let server: ModelFileServer;
  beforeEach(() => {
    server = new ModelFileServer();
  });
  afterEach(async () => {
    await weights?.stop();
    await p2p?.stop();
    await server.stop();
  });

  it('resumes the HTTP download after the stored leaves', async () => {
    const blocksDir = join(dir, 'blocks');
    await storeFirstLeaves(blocksDir, 4);
    const base = await server.start();
    server.serve('/m.gguf', bytes);
    p2p = await startLoopbackP2p({ dht: true });
    // No provider and an origin without closed ranges: the peer fetch stalls at once.
    weights = new WeightsService(
      { libp2p: p2p.libp2p },
      { blocksDir, policy: { stallTimeoutMs: 200, originMaxFailures: 1 } },
    );
    await weights.start();
    const model: GgufModel = {
      format: 'gguf',
      id: 'salvage-test',
      quantization: 'F32',
      contextLength: 256,
      memoryBytes: SIZE * 2,
      files: [
        {
          name: 'm.gguf',
          urls: [`${base}/m.gguf`],
          sizeBytes: SIZE,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          cid,
        },
      ],
    };
    const cache = new ModelCache(join(dir, 'models'));
    const failures: unknown[] = [];
    await fetchModel(cache, model, {
      queue: new DiskQueue(),
      retryDelayMs: () => 0,
      freeSpace: () => Promise.resolve(100e9),
      peers: weights,
      onPeersFailed: (error) => failures.push(error),
    });
    expect(failures).toHaveLength(1);
    const written = await readFile(cache.filePath(model, 0));
    expect(Buffer.from(written).equals(bytes)).toBe(true);
    // The whole-file download asked only for what follows the four stored leaves.
    const whole = server.requests.filter((r) => r.range === null || /^bytes=\d+-$/.test(r.range));
    expect(whole.map((r) => r.range)).toEqual([`bytes=${4 * MiB}-`]);
    expect(whole[0]!.bytesSent).toBe(SIZE - 4 * MiB);
  }, 60_000);
});
