// The membership heartbeat: its wire schema and a strict codec. Every byte comes from an untrusted peer, so
// decoding checks size first, then CBOR strictness, then every field; it returns a reason instead of throwing.
import { encode } from 'cborg';
import { isRegionId, type RegionId } from '../regions/index.ts';
import { isTierIdSyntax } from './protocol-ids.ts';
import { decodeStrictCborRecord } from './strict-cbor-record.ts';

/** The schema version this code writes and the only one it accepts. */
export const HEARTBEAT_VERSION = 1;
/** Encoded heartbeats are ~250 bytes; anything over this is rejected before it is decoded. */
export const MAX_HEARTBEAT_BYTES = 1024;
export const MAX_MODELS_PER_HEARTBEAT = 8;
const MAX_MODEL_ID_CHARS = 128;
const MAX_VERSION_CHARS = 32;
/** Peer ids in their string form (base58btc identity multihash of an Ed25519 key is 52 chars). */
const MAX_PEER_ID_CHARS = 64;
const MAX_SLOTS = 1024;
/** Announced intervals outside this range would make liveness meaningless (too chatty or never dead). */
export const MIN_HEARTBEAT_INTERVAL_MS = 50;
export const MAX_HEARTBEAT_INTERVAL_MS = 600_000;

/** What the member says about itself: serving, paused by its owner, or leaving for good (shutdown). */
export const MEMBER_STATES = ['active', 'paused', 'leaving'] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

/** The member's engine for this cluster, as the routing code needs it. */
export const ENGINE_STATES = ['none', 'starting', 'ready', 'error', 'stopped'] as const;
export type EngineState = (typeof ENGINE_STATES)[number];

export interface Heartbeat {
  /** The sender's peer id; must equal the gossipsub message signer. */
  readonly peerId: string;
  readonly region: RegionId;
  readonly tier: string;
  readonly state: MemberState;
  readonly engine: EngineState;
  /** Model ids the engine has loaded and can answer with now. */
  readonly modelsReady: readonly string[];
  /** Concurrent requests the member accepts. */
  readonly capacity: number;
  /** Requests in flight now. */
  readonly load: number;
  /** The sender's app version. */
  readonly version: string;
  /** Increases with every heartbeat of one run; lets receivers drop reordered copies. */
  readonly seq: number;
  /** The sender's clock, ms since the epoch (informative; liveness uses the receiver's clock). */
  readonly sentAt: number;
  /** How often the sender beats; receivers declare it dead after some missed intervals. */
  readonly intervalMs: number;
  /**
   * The node id of the sender's own EXO (when it runs one): a worker whose EXO instance spans several
   * machines maps each shard's EXO node to the member that runs it, and the request pays each its share.
   */
  readonly engineNode?: string;
}

/** What an engine node id may look like on the wire (EXO's are libp2p peer ids or UUIDs). */
export const ENGINE_NODE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export type HeartbeatDecodeResult =
  { readonly ok: true; readonly heartbeat: Heartbeat } | { readonly ok: false; readonly reason: string };

const FIELDS = [
  'v',
  'peer',
  'region',
  'tier',
  'state',
  'engine',
  'models',
  'capacity',
  'load',
  'version',
  'seq',
  'sentAt',
  'intervalMs',
] as const;
const OPTIONAL_FIELDS = ['engineNode'] as const;

/** Encode a heartbeat; throws RangeError for values the decoder would refuse (a local bug, not peer input). */
export function encodeHeartbeat(heartbeat: Heartbeat): Uint8Array {
  const wire = {
    v: HEARTBEAT_VERSION,
    peer: heartbeat.peerId,
    region: heartbeat.region,
    tier: heartbeat.tier,
    state: heartbeat.state,
    engine: heartbeat.engine,
    models: [...heartbeat.modelsReady],
    capacity: heartbeat.capacity,
    load: heartbeat.load,
    version: heartbeat.version,
    seq: heartbeat.seq,
    sentAt: heartbeat.sentAt,
    intervalMs: heartbeat.intervalMs,
    ...(heartbeat.engineNode !== undefined ? { engineNode: heartbeat.engineNode } : {}),
  };
  const bytes = encode(wire);
  const check = decodeHeartbeat(bytes);
  if (!check.ok) throw new RangeError(`refusing to encode an invalid heartbeat: ${check.reason}`);
  return bytes;
}

/** Decode and validate untrusted bytes. Never throws. */
export function decodeHeartbeat(bytes: Uint8Array): HeartbeatDecodeResult {
  if (bytes.byteLength > MAX_HEARTBEAT_BYTES)
    return fail(`too large (${bytes.byteLength} > ${MAX_HEARTBEAT_BYTES} bytes)`);
  const decoded = decodeStrictCborRecord(bytes);
  if (!decoded.ok) return fail(decoded.error);
  const record = decoded.record;
  const keys = Object.keys(record);
  const unknown = keys.find(
    (key) =>
      !(FIELDS as readonly string[]).includes(key) && !(OPTIONAL_FIELDS as readonly string[]).includes(key),
  );
  if (unknown !== undefined) return fail(`unknown field ${JSON.stringify(unknown.slice(0, 32))}`);
  const missing = FIELDS.find((key) => !(key in record));
  if (missing !== undefined) return fail(`missing field ${missing}`);

  const { v, peer, region, tier, state, engine, models, capacity, load, version, seq, sentAt, intervalMs } =
    record;
  if (v !== HEARTBEAT_VERSION) return fail('unsupported version');
  if (!isBoundedString(peer, MAX_PEER_ID_CHARS) || !/^[1-9A-HJ-NP-Za-km-z]+$/.test(peer))
    return fail('bad peer id');
  if (!isRegionId(region)) return fail('unknown region');
  if (!isTierIdSyntax(tier)) return fail('bad tier id');
  if (!isOneOf(state, MEMBER_STATES)) return fail('bad state');
  if (!isOneOf(engine, ENGINE_STATES)) return fail('bad engine state');
  if (!Array.isArray(models) || models.length > MAX_MODELS_PER_HEARTBEAT) return fail('bad model list');
  if (!models.every((model) => isBoundedString(model, MAX_MODEL_ID_CHARS) && model.length > 0))
    return fail('bad model id');
  if (!isIntIn(capacity, 0, MAX_SLOTS)) return fail('bad capacity');
  if (!isIntIn(load, 0, MAX_SLOTS)) return fail('bad load');
  if (!isBoundedString(version, MAX_VERSION_CHARS)) return fail('bad version');
  if (!isIntIn(seq, 0, Number.MAX_SAFE_INTEGER)) return fail('bad seq');
  if (!isIntIn(sentAt, 0, Number.MAX_SAFE_INTEGER)) return fail('bad sentAt');
  if (!isIntIn(intervalMs, MIN_HEARTBEAT_INTERVAL_MS, MAX_HEARTBEAT_INTERVAL_MS))
    return fail('bad intervalMs');
  const engineNode = record.engineNode;
  if (
    engineNode !== undefined &&
    (typeof engineNode !== 'string' || !ENGINE_NODE_ID_PATTERN.test(engineNode))
  )
    return fail('bad engine node id');

  return {
    ok: true,
    heartbeat: {
      peerId: peer,
      region,
      tier,
      state,
      engine,
      modelsReady: models as string[],
      capacity,
      load,
      version,
      seq,
      sentAt,
      intervalMs,
      ...(engineNode !== undefined ? { engineNode } : {}),
    },
  };
}

function fail(reason: string): HeartbeatDecodeResult {
  return { ok: false, reason };
}

function isBoundedString(value: unknown, maxChars: number): value is string {
  return typeof value === 'string' && value.length <= maxChars;
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function isOneOf<T extends string>(value: unknown, options: readonly T[]): value is T {
  return typeof value === 'string' && (options as readonly string[]).includes(value);
}
