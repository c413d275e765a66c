// The membership protocol's messages (`/og/membership/2.0.0`, issue 16): SWIM probes, view shuffles, load
// queries, with join/leave/suspect/death rumors piggybacked on each. Every byte comes from an untrusted peer,
// so decoding checks size first, then CBOR strictness, then every field; it returns a reason, never throws.
import { encode } from 'cborg';
import { ENGINE_STATES, type EngineState } from './engine-state.ts';
import { decodeStrictCborRecord } from './strict-cbor-record.ts';

/** The membership stream protocol (one frame per message, both directions). */
export const MEMBERSHIP_PROTOCOL = '/og/membership/2.0.0';
/** The wire version this code writes and the only one it accepts. */
export const MEMBERSHIP_WIRE_VERSION = 2;
/** Messages are a few hundred bytes; anything over this is refused before it is decoded. */
export const MAX_MEMBERSHIP_MESSAGE_BYTES = 4096;
export const MAX_RUMORS_PER_MESSAGE = 8;
export const MAX_SHUFFLE_ENTRIES = 16;
export const MAX_RUMOR_TTL = 32;
/**
 * The highest incarnation on the wire. Honest incarnations start at seconds since the epoch (~2^31) and grow by
 * one per change, so this is never reached; it keeps a forged one from pushing a member past the safe integers
 * (its refutation, one more, would no longer decode anywhere) and keeps rumor ranks (incarnation × 4) exact.
 */
export const MAX_INCARNATION = 2 ** 42;
const MAX_MODELS = 8;
const MAX_MODEL_ID_CHARS = 128;
const MAX_VERSION_CHARS = 32;
const MAX_CLUSTER_CHARS = 96;
const MAX_SLOTS = 1024;
const PEER_ID_PATTERN = /^[1-9A-HJ-NP-Za-km-z]{1,64}$/;
const ENGINE_NODE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The rarely changing state a member announces about itself (load is asked for on demand instead). */
export interface MemberDescriptor {
  readonly state: 'active' | 'paused';
  readonly engine: EngineState;
  readonly modelsReady: readonly string[];
  readonly capacity: number;
  readonly version: string;
  readonly engineNode?: string;
}

export const RUMOR_KINDS = ['alive', 'suspect', 'dead', 'left'] as const;
export type RumorKind = (typeof RUMOR_KINDS)[number];

/** A membership event about one member at one incarnation; `alive` carries the member's descriptor. */
export interface Rumor {
  readonly kind: RumorKind;
  readonly peerId: string;
  readonly incarnation: number;
  /** Hops left: a node passes a rumor on with one hop less, so forgetting one can never loop forever. */
  readonly ttl: number;
  readonly descriptor?: MemberDescriptor;
}

/** A member as a shuffle hands it on: who and at which incarnation (its state comes from its own ack). */
export interface ShuffleEntry {
  readonly peerId: string;
  readonly incarnation: number;
}

export type MembershipBody =
  | { readonly kind: 'ping'; readonly wantDescriptor: boolean }
  | { readonly kind: 'ack'; readonly descriptor?: MemberDescriptor; readonly incarnation: number }
  | { readonly kind: 'ping-req'; readonly target: string }
  | { readonly kind: 'shuffle'; readonly joining: boolean; readonly entries: readonly ShuffleEntry[] }
  | { readonly kind: 'shuffle-reply'; readonly entries: readonly ShuffleEntry[] }
  | { readonly kind: 'load-query' }
  | { readonly kind: 'load'; readonly capacity: number; readonly load: number; readonly ready: boolean }
  /**
   * The answer to a request for a cluster the receiver is no member of (it does not follow the cluster, or
   * only watches it): the sender can tell "not a member" from "dead" and stops trying it.
   */
  | { readonly kind: 'not-member' };

export type MembershipMessage = MembershipBody & {
  /** `<region>/<tier>`: one stream protocol carries every cluster. */
  readonly cluster: string;
  /** Correlates a reply with its request (per sender). */
  readonly seq: number;
  readonly rumors: readonly Rumor[];
};

export type MembershipDecodeResult =
  | { readonly ok: true; readonly message: MembershipMessage }
  | { readonly ok: false; readonly reason: string };

/** Encode a message; throws RangeError for what the decoder would refuse (a local bug, not peer input). */
export function encodeMembershipMessage(message: MembershipMessage): Uint8Array {
  const bytes = encode(toWire(message));
  const check = decodeMembershipMessage(bytes);
  if (!check.ok) throw new RangeError(`refusing to encode an invalid membership message: ${check.reason}`);
  return bytes;
}

/**
 * Encode without the round-trip check: for the hot path once a message's parts were built from values this
 * node validated itself (its own descriptor, rumors it decoded). The simulator and the node use the same.
 */
export function encodeMembershipMessageUnchecked(message: MembershipMessage): Uint8Array {
  return encode(toWire(message));
}

function toWire(message: MembershipMessage): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    v: MEMBERSHIP_WIRE_VERSION,
    t: message.kind,
    c: message.cluster,
    s: message.seq,
    r: message.rumors.map((rumor) => ({
      k: rumor.kind,
      p: rumor.peerId,
      i: rumor.incarnation,
      h: rumor.ttl,
      ...(rumor.descriptor !== undefined ? { d: descriptorWire(rumor.descriptor) } : {}),
    })),
  };
  switch (message.kind) {
    case 'ping':
      wire.w = message.wantDescriptor;
      break;
    case 'ack':
      wire.i = message.incarnation;
      if (message.descriptor !== undefined) wire.d = descriptorWire(message.descriptor);
      break;
    case 'ping-req':
      wire.x = message.target;
      break;
    case 'shuffle':
      wire.j = message.joining;
      wire.e = message.entries.map((entry) => [entry.peerId, entry.incarnation]);
      break;
    case 'shuffle-reply':
      wire.e = message.entries.map((entry) => [entry.peerId, entry.incarnation]);
      break;
    case 'load-query':
      break;
    case 'load':
      wire.cap = message.capacity;
      wire.load = message.load;
      wire.ready = message.ready;
      break;
    case 'not-member':
      break;
  }
  return wire;
}

function descriptorWire(descriptor: MemberDescriptor): Record<string, unknown> {
  return {
    st: descriptor.state,
    en: descriptor.engine,
    m: [...descriptor.modelsReady],
    cap: descriptor.capacity,
    ver: descriptor.version,
    ...(descriptor.engineNode !== undefined ? { node: descriptor.engineNode } : {}),
  };
}

const KIND_FIELDS: Record<MembershipBody['kind'], readonly string[]> = {
  ping: ['w'],
  ack: ['i'],
  'ping-req': ['x'],
  shuffle: ['j', 'e'],
  'shuffle-reply': ['e'],
  'load-query': [],
  load: ['cap', 'load', 'ready'],
  'not-member': [],
};
const KIND_OPTIONAL: Partial<Record<MembershipBody['kind'], readonly string[]>> = { ack: ['d'] };
const COMMON_FIELDS = ['v', 't', 'c', 's', 'r'];

/** Decode and validate untrusted bytes. Never throws. */
export function decodeMembershipMessage(bytes: Uint8Array): MembershipDecodeResult {
  if (bytes.byteLength > MAX_MEMBERSHIP_MESSAGE_BYTES)
    return fail(`too large (${bytes.byteLength} > ${MAX_MEMBERSHIP_MESSAGE_BYTES} bytes)`);
  const decoded = decodeStrictCborRecord(bytes);
  if (!decoded.ok) return fail(decoded.error);
  const record = decoded.record;
  if (record.v !== MEMBERSHIP_WIRE_VERSION) return fail('unsupported version');
  const kind = record.t;
  if (typeof kind !== 'string' || !Object.hasOwn(KIND_FIELDS, kind)) return fail('unknown message kind');
  const typedKind = kind as MembershipBody['kind'];
  const required = [...COMMON_FIELDS, ...KIND_FIELDS[typedKind]];
  const allowed = [...required, ...(KIND_OPTIONAL[typedKind] ?? [])];
  const unknown = Object.keys(record).find((key) => !allowed.includes(key));
  if (unknown !== undefined) return fail(`unknown field ${JSON.stringify(unknown.slice(0, 16))}`);
  const missing = required.find((key) => !(key in record));
  if (missing !== undefined) return fail(`missing field ${missing}`);
  if (!isBoundedString(record.c, MAX_CLUSTER_CHARS) || record.c.length === 0) return fail('bad cluster');
  if (!isIntIn(record.s, 0, Number.MAX_SAFE_INTEGER)) return fail('bad seq');
  const rumors = decodeRumors(record.r);
  if (typeof rumors === 'string') return fail(rumors);
  const common = { cluster: record.c, seq: record.s, rumors };

  switch (typedKind) {
    case 'ping':
      if (typeof record.w !== 'boolean') return fail('bad want flag');
      return ok({ ...common, kind: 'ping', wantDescriptor: record.w });
    case 'ack': {
      if (!isIntIn(record.i, 0, MAX_INCARNATION)) return fail('bad incarnation');
      if (record.d === undefined) return ok({ ...common, kind: 'ack', incarnation: record.i });
      const descriptor = decodeDescriptor(record.d);
      if (typeof descriptor === 'string') return fail(descriptor);
      return ok({ ...common, kind: 'ack', incarnation: record.i, descriptor });
    }
    case 'ping-req':
      if (!isPeerId(record.x)) return fail('bad target');
      return ok({ ...common, kind: 'ping-req', target: record.x });
    case 'shuffle': {
      if (typeof record.j !== 'boolean') return fail('bad joining flag');
      const entries = decodeEntries(record.e);
      if (typeof entries === 'string') return fail(entries);
      return ok({ ...common, kind: 'shuffle', joining: record.j, entries });
    }
    case 'shuffle-reply': {
      const entries = decodeEntries(record.e);
      if (typeof entries === 'string') return fail(entries);
      return ok({ ...common, kind: 'shuffle-reply', entries });
    }
    case 'load-query':
      return ok({ ...common, kind: 'load-query' });
    case 'load':
      if (!isIntIn(record.cap, 0, MAX_SLOTS)) return fail('bad capacity');
      if (!isIntIn(record.load, 0, 1_000_000)) return fail('bad load');
      if (typeof record.ready !== 'boolean') return fail('bad ready flag');
      return ok({ ...common, kind: 'load', capacity: record.cap, load: record.load, ready: record.ready });
    case 'not-member':
      return ok({ ...common, kind: 'not-member' });
  }
}

function decodeRumors(value: unknown): Rumor[] | string {
  if (!Array.isArray(value) || value.length > MAX_RUMORS_PER_MESSAGE) return 'bad rumor list';
  const rumors: Rumor[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'bad rumor';
    const rumor = item as Record<string, unknown>;
    const keys = Object.keys(rumor);
    if (keys.some((key) => !['k', 'p', 'i', 'h', 'd'].includes(key))) return 'bad rumor field';
    if (!isOneOf(rumor.k, RUMOR_KINDS)) return 'bad rumor kind';
    if (!isPeerId(rumor.p)) return 'bad rumor peer';
    if (!isIntIn(rumor.i, 0, MAX_INCARNATION)) return 'bad rumor incarnation';
    if (!isIntIn(rumor.h, 0, MAX_RUMOR_TTL)) return 'bad rumor ttl';
    if (rumor.d === undefined) {
      rumors.push({ kind: rumor.k, peerId: rumor.p, incarnation: rumor.i, ttl: rumor.h });
      continue;
    }
    if (rumor.k !== 'alive') return 'only alive rumors carry a descriptor';
    const descriptor = decodeDescriptor(rumor.d);
    if (typeof descriptor === 'string') return descriptor;
    rumors.push({ kind: rumor.k, peerId: rumor.p, incarnation: rumor.i, ttl: rumor.h, descriptor });
  }
  return rumors;
}

function decodeDescriptor(value: unknown): MemberDescriptor | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'bad descriptor';
  const record = value as Record<string, unknown>;
  if (Object.keys(record).some((key) => !['st', 'en', 'm', 'cap', 'ver', 'node'].includes(key)))
    return 'bad descriptor field';
  if (record.st !== 'active' && record.st !== 'paused') return 'bad member state';
  if (!isOneOf(record.en, ENGINE_STATES)) return 'bad engine state';
  if (!Array.isArray(record.m) || record.m.length > MAX_MODELS) return 'bad model list';
  if (!record.m.every((model) => isBoundedString(model, MAX_MODEL_ID_CHARS) && model.length > 0))
    return 'bad model id';
  if (!isIntIn(record.cap, 0, MAX_SLOTS)) return 'bad capacity';
  if (!isBoundedString(record.ver, MAX_VERSION_CHARS)) return 'bad version';
  if (
    record.node !== undefined &&
    !(typeof record.node === 'string' && ENGINE_NODE_PATTERN.test(record.node))
  )
    return 'bad engine node id';
  return {
    state: record.st,
    engine: record.en,
    modelsReady: record.m as string[],
    capacity: record.cap,
    version: record.ver,
    ...(record.node !== undefined ? { engineNode: record.node } : {}),
  };
}

function decodeEntries(value: unknown): ShuffleEntry[] | string {
  if (!Array.isArray(value) || value.length > MAX_SHUFFLE_ENTRIES) return 'bad entry list';
  const entries: ShuffleEntry[] = [];
  for (const item of value) {
    if (!Array.isArray(item) || item.length !== 2) return 'bad entry';
    const [peerId, incarnation] = item as unknown[];
    if (!isPeerId(peerId) || !isIntIn(incarnation, 0, MAX_INCARNATION)) return 'bad entry';
    entries.push({ peerId, incarnation });
  }
  return entries;
}

function ok(message: MembershipMessage): MembershipDecodeResult {
  return { ok: true, message };
}

function fail(reason: string): MembershipDecodeResult {
  return { ok: false, reason };
}

function isPeerId(value: unknown): value is string {
  return typeof value === 'string' && PEER_ID_PATTERN.test(value);
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
