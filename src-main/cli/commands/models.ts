// `opengateway-node models`: the built-in engine's model per tier (from the network's catalog) and the cache
// in the data folder: list them, download one now (with a progress bar in a terminal), or delete one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ModelState } from '../../../src-shared/ipc/models.ts';
import { ggufSizeBytes } from '../../../src-shared/tiers/index.ts';
import { defaultDataDir, locationsFor } from '../../node/locations.ts';
import { ModelsService } from '../../node/models/models-service.ts';
import { NodeAlreadyRunningError } from '../../node/node-errors.ts';
import { ensureDataDir } from '../../node/storage/data-dir.ts';
import { DataDirLock } from '../../node/storage/data-dir-lock.ts';
import { loadNetworkConfigFile } from '../../node/network-config/load-network-config.ts';
import { loadNodeNetworkConfig } from '../../node/network-config/load-node-network-config.ts';
import { UsageError, parseCommandArgs, type CliCommand, type CliIo } from '../cli-command.ts';

const USAGE = `Usage: opengateway-node models [list] [--json] [--data-dir DIR] [--network-config FILE]
       opengateway-node models pull TIER [--json] [--data-dir DIR] [--network-config FILE]
       opengateway-node models rm TIER [--data-dir DIR] [--network-config FILE]
       opengateway-node models cid FILE [--json]

The model each tier serves on the built-in engine, as the network's catalog names it, and the model
cache in the data folder. "pull" downloads a tier's model now (resuming a partial download) and checks
its SHA-256; "rm" deletes it from the cache. "cid" prints a model file's content address (root CID
with 1 MiB raw leaves), its SHA-256 and size: the catalog's "cid", "sha256" and "sizeBytes" fields. A running node downloads the models it serves by itself.

  --json                 print JSON (pull: one line per progress step, then the result)
  --data-dir DIR         the node's data folder (default: ${defaultDataDir()})
  --network-config FILE  a signed network config (default: the one stored in the data folder)`;

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'list, download (pull TIER) or delete (rm TIER) the models of the built-in engine',
  usage: USAGE,
  async run(args, io, signal) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        json: { type: 'boolean' },
        'data-dir': { type: 'string' },
        'network-config': { type: 'string' },
      },
      true,
    );
    const [sub = 'list', tier, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    // cid needs no data folder and no network config: founders run it on the files they publish.
    if (sub === 'cid') return await printFileAddress(tier, io, values.json ?? false, signal);
    const locations = locationsFor(values['data-dir'] ?? defaultDataDir(io.env));
    // A given config is only read here (the node stores the one it runs with).
    const given = values['network-config'];
    const config =
      given === undefined
        ? await loadNodeNetworkConfig(locations.networkConfig)
        : (await loadNetworkConfigFile(given)).config;
    // pull and rm write the cache: not while a node runs here (it fetches its own models, and two writers of
    // one partial file would corrupt it).
    let lock: DataDirLock | null = null;
    if (sub === 'pull' || sub === 'rm') {
      await ensureDataDir(locations.dataDir);
      try {
        lock = DataDirLock.acquire(locations.instanceLock, locations.dataDir);
      } catch (error) {
        if (!(error instanceof NodeAlreadyRunningError)) throw error;
        throw new UsageError(
          `a node is running on ${locations.dataDir}: it downloads the models it serves by itself; ` +
            `stop it to ${sub === 'pull' ? 'pull' : 'remove'} a model by hand`,
        );
      }
    }
    const models = new ModelsService({ locations, config: () => config });
    await models.start();
    const checkTier = (id: string | undefined): string => {
      if (id === undefined)
        throw new UsageError(`models ${sub} needs a tier (${config.tiers.map((t) => t.id).join(', ')})`);
      if (!config.tiers.some((t) => t.id === id))
        throw new UsageError(`unknown tier "${id}" (one of: ${config.tiers.map((t) => t.id).join(', ')})`);
      return id;
    };
    try {
      switch (sub) {
        case 'list':
          if (tier !== undefined) throw new UsageError('models list takes no tier');
          await list(
            models,
            config.tiers.map((t) => t.id),
            io,
            values.json ?? false,
          );
          return 0;
        case 'pull':
          return await pull(models, checkTier(tier), io, values.json ?? false, signal);
        case 'rm': {
          const id = checkTier(tier);
          await models.remove(id);
          io.stdout(
            values.json
              ? JSON.stringify({ tier: id, removed: true })
              : `Removed the model of ${id} from ${models.cache.dir}`,
          );
          return 0;
        }
        default:
          throw new UsageError(`unknown models subcommand "${sub}" (try: list, pull TIER, rm TIER)`);
      }
    } finally {
      await models.stop();
      lock?.release();
    }
  },
};

async function printFileAddress(
  path: string | undefined,
  io: CliIo,
  json: boolean,
  signal: AbortSignal | undefined,
): Promise<number> {
  if (path === undefined) throw new UsageError('models cid needs a FILE');
  const { sizeBytes, sha256 } = await hashFile(path);
  // Loaded here, not at the top: every command (`start` too) loads this file, and the UnixFS importer it
  // brings is ~100 modules an idle node never runs (issue 17 item 4).
  const { fileCid } = await import('../../node/weights/file-dag.ts');
  const cid = await fileCid(path, signal ? { signal } : {});
  io.stdout(
    json
      ? JSON.stringify({ cid, sha256, sizeBytes })
      : `cid ${cid}\nsha256 ${sha256}\nsizeBytes ${sizeBytes}`,
  );
  return 0;
}

async function hashFile(path: string): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    sizeBytes += (chunk as Buffer).byteLength;
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}

async function list(
  models: ModelsService,
  tiers: readonly string[],
  io: CliIo,
  json: boolean,
): Promise<void> {
  const rows = [];
  for (const tier of tiers) {
    const model = models.modelOf(tier);
    const state = models.state(tier);
    rows.push({
      tier,
      state: state.status,
      modelId: model?.id ?? null,
      quantization: model?.quantization ?? null,
      contextLength: model?.contextLength ?? null,
      sizeBytes: model ? ggufSizeBytes(model) : null,
      bytesOnDisk: model ? await models.cache.bytesOnDisk(model) : 0,
      files:
        model?.files.map((file) => ({ name: file.name, sha256: file.sha256, sizeBytes: file.sizeBytes })) ??
        [],
      path: models.fileFor(tier)?.path ?? null,
    });
  }
  if (json) {
    io.stdout(JSON.stringify({ cacheDir: models.cache.dir, tiers: rows }));
    return;
  }
  io.stdout(`Model cache: ${models.cache.dir}`);
  for (const row of rows) {
    if (row.modelId === null) {
      io.stdout(`  ${row.tier}  no built-in model in the network's catalog`);
      continue;
    }
    const size = formatBytes(row.sizeBytes ?? 0);
    const status =
      row.state === 'ready'
        ? 'ready'
        : row.bytesOnDisk > 0
          ? `partial ${formatBytes(row.bytesOnDisk)} of ${size}`
          : 'not downloaded';
    io.stdout(`  ${row.tier}  ${row.modelId} (${row.quantization}, ${size})  ${status}`);
  }
}

async function pull(
  models: ModelsService,
  tier: string,
  io: CliIo,
  json: boolean,
  signal: AbortSignal,
): Promise<number> {
  const tty = !json && process.stderr.isTTY;
  let lastLine = -1;
  const onState = (event: CustomEvent<{ tier: string; state: ModelState }>) => {
    if (event.detail.tier !== tier) return;
    const state = event.detail.state;
    if (json) {
      io.stdout(JSON.stringify({ tier, ...state }));
    } else if (state.status === 'downloading') {
      const line = progressLine(state);
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else {
        const decile = Math.floor((state.receivedBytes / Math.max(1, state.totalBytes)) * 10);
        if (decile !== lastLine) io.stdout(line);
        lastLine = decile;
      }
    } else if (state.status === 'verifying' && !tty) {
      io.stdout('verifying SHA-256…');
    }
  };
  // This command runs without the node's libp2p: files come from the catalog's URLs alone. Say so, or a
  // contributor expects the region's peers (issue 14) to help.
  if (!json)
    io.stderr(
      'Downloading from the catalog’s servers only: region peers share models with a running node ' +
        '(`opengateway-node start` fetches the models it serves by itself).',
    );
  models.addEventListener('model:state', onState);
  try {
    const file = await models.pull(tier, { signal });
    if (tty) process.stderr.write('\n');
    io.stdout(
      json
        ? JSON.stringify({ tier, ready: true, ...file })
        : `${tier}: ${file.modelId} ready at ${file.path}`,
    );
    return 0;
  } catch (error) {
    if (tty) process.stderr.write('\n');
    throw error;
  } finally {
    models.removeEventListener('model:state', onState);
  }
}

function progressLine(state: Extract<ModelState, { status: 'downloading' }>): string {
  const share = state.totalBytes > 0 ? state.receivedBytes / state.totalBytes : 0;
  const width = 30;
  const filled = Math.round(share * width);
  const eta = state.etaSeconds === null ? '' : `  ${formatDuration(state.etaSeconds)} left`;
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ` +
    `${formatBytes(state.receivedBytes)} of ${formatBytes(state.totalBytes)}  ${formatBytes(state.bytesPerSecond)}/s${eta}` +
    sourcesText(state)
  );
}

/** "  from 2 peers (1.2 GB) + origin (300 MB)" for files fetched by content address; "" otherwise. */
export function sourcesText(state: Extract<ModelState, { status: 'downloading' }>): string {
  if (state.peerBytes === undefined || state.originBytes === undefined) return '';
  const peers = state.peers ?? 0;
  return (
    `  from ${peers} ${peers === 1 ? 'peer' : 'peers'} (${formatBytes(state.peerBytes)})` +
    ` + origin (${formatBytes(state.originBytes)})`
  );
}

/** "4.9 GB", "512 KB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} KB`;
}

function formatDuration(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${seconds} s`;
}
