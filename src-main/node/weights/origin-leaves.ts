// The HTTP origin as a block source: one Range request covers a run of consecutive leaves, and each leaf's
// bytes are hashed against the leaf's CID before they are stored, exactly as a block from a peer would be.
// So the origin fills the same verified blockstore the peers fill, and resume does not care who sent what.
import { createHash } from 'node:crypto';
import type { FileLeaf } from './file-layout.ts';
import { WeightsOriginMismatchError } from './errors.ts';
import { TransferInterruptedError, ModelBadResponseError } from '../models/errors.ts';

export interface OriginRangeOptions {
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
  /**
   * Called for each leaf whose bytes hashed right (its own buffer). Up to `ORIGIN_PUTS_IN_FLIGHT` run at
   * once while the next leaves are read: the network read never waits on the disk write of the leaf before.
   */
  readonly onLeaf: (leaf: FileLeaf, bytes: Uint8Array) => Promise<void>;
}

/** Leaves being stored while the origin's next bytes are read. */
const ORIGIN_PUTS_IN_FLIGHT = 4;

/** Fetch `leaves` (consecutive, in file order) from `url` with one Range request. */
export async function fetchLeavesFromOrigin(
  url: string,
  leaves: readonly FileLeaf[],
  options: OriginRangeOptions,
): Promise<void> {
  const first = leaves[0];
  const last = leaves.at(-1);
  if (first === undefined || last === undefined) return;
  const start = first.offset;
  const end = last.offset + last.size - 1;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { range: `bytes=${start}-${end}` },
      ...(options.signal ? { signal: options.signal } : {}),
      redirect: 'follow',
    });
  } catch (error) {
    options.signal?.throwIfAborted();
    throw new TransferInterruptedError(`the origin did not answer (${(error as Error).message})`);
  }
  if (response.status >= 500 || response.status === 429 || response.status === 408) {
    await response.body?.cancel();
    throw new TransferInterruptedError(`the origin answered HTTP ${response.status}`);
  }
  // A 200 would be the whole file from byte 0: only a server that honours ranges can fill in beside peers.
  if (response.status !== 206) {
    await response.body?.cancel();
    throw new ModelBadResponseError(url, `HTTP ${response.status} to a range request`);
  }
  const range = /^bytes (\d{1,16})-(\d{1,16})\/(?:\d{1,16}|\*)$/.exec(
    response.headers.get('content-range')?.trim() ?? '',
  );
  if (range === null || Number(range[1]) !== start || Number(range[2]) !== end) {
    await response.body?.cancel();
    throw new ModelBadResponseError(url, `answered another range than bytes ${start}-${end}`);
  }
  if (response.body === null) throw new TransferInterruptedError('the origin sent no body');
  const reader = response.body.getReader();
  let index = 0;
  let buffer = new Uint8Array(leaves[0]!.size);
  let filled = 0;
  const storing: Promise<void>[] = [];
  try {
    while (index < leaves.length) {
      let chunk: { done: true; value?: undefined } | { done: false; value: Uint8Array };
      try {
        chunk = (await reader.read()) as typeof chunk;
      } catch (error) {
        options.signal?.throwIfAborted();
        throw new TransferInterruptedError(`the origin cut the transfer (${(error as Error).message})`);
      }
      if (chunk.done) throw new TransferInterruptedError('the origin ended the range early');
      let bytes = chunk.value;
      while (bytes.byteLength > 0) {
        if (index >= leaves.length) throw new ModelBadResponseError(url, 'sent more than the range');
        const take = Math.min(bytes.byteLength, buffer.byteLength - filled);
        buffer.set(bytes.subarray(0, take), filled);
        filled += take;
        bytes = bytes.subarray(take);
        if (filled === buffer.byteLength) {
          const leaf = leaves[index]!;
          const digest = createHash('sha256').update(buffer).digest();
          if (!digest.equals(leaf.cid.multihash.digest))
            throw new WeightsOriginMismatchError(url, leaf.offset);
          storing.push(options.onLeaf(leaf, buffer));
          // A failed write surfaces here or at the end (a rejection is never left unobserved meanwhile).
          storing.at(-1)!.catch(() => undefined);
          if (storing.length >= ORIGIN_PUTS_IN_FLIGHT) await storing.shift();
          index++;
          if (index < leaves.length) buffer = new Uint8Array(leaves[index]!.size);
          filled = 0;
        }
      }
    }
    for (const put of storing.splice(0)) await put;
  } finally {
    await reader.cancel().catch(() => undefined);
    await Promise.allSettled(storing);
  }
}

/** `fetchLeavesFromOrigin` from each URL in turn until one delivers the whole run. */
export async function fetchLeavesFromUrls(
  urls: readonly string[],
  leaves: readonly FileLeaf[],
  options: OriginRangeOptions,
): Promise<void> {
  let lastError: unknown = new TransferInterruptedError('the catalog names no URL for this file');
  for (const url of urls) {
    try {
      await fetchLeavesFromOrigin(url, leaves, options);
      return;
    } catch (error) {
      options.signal?.throwIfAborted();
      lastError = error;
    }
  }
  throw lastError;
}
