// Each served tier's model on this node, for the Overview: downloading (bar, size, time left) → verifying →
// ready, or why not (no space, a file that failed its hash, no server reachable).
import { tierIdSchema } from './resources.ts';
import {
  array,
  integer,
  nullable,
  object,
  oneOf,
  optional,
  string,
  taggedUnion,
  type Infer,
} from './schema.ts';

const BYTES = integer(0, 2 ** 53 - 1);
const MODEL_ID = string({ max: 200 });

export const MODEL_FAILURE_REASONS = [
  'no-space',
  'hash-mismatch',
  'unreachable',
  'bad-response',
  'io',
] as const;

export const modelStateSchema = taggedUnion('status', {
  /** The catalog has no model for this node's engine in this tier. */
  none: {},
  missing: { modelId: MODEL_ID, totalBytes: BYTES },
  /** Waiting for another download on the same disk. */
  queued: { modelId: MODEL_ID, receivedBytes: BYTES, totalBytes: BYTES },
  downloading: {
    modelId: MODEL_ID,
    receivedBytes: BYTES,
    totalBytes: BYTES,
    bytesPerSecond: BYTES,
    /** Seconds left; null while the rate is unknown. */
    etaSeconds: nullable(integer(0, 2 ** 31)),
    /** Files with a content address: peers sending now, and this run's bytes from peers / the origin. */
    peers: optional(integer(0, 10_000)),
    peerBytes: optional(BYTES),
    originBytes: optional(BYTES),
  },
  /** Contributing is paused: the download waits with what it has. */
  paused: { modelId: MODEL_ID, receivedBytes: BYTES, totalBytes: BYTES },
  verifying: { modelId: MODEL_ID, totalBytes: BYTES },
  ready: { modelId: MODEL_ID, totalBytes: BYTES },
  failed: {
    modelId: MODEL_ID,
    reason: oneOf(MODEL_FAILURE_REASONS),
    /** For people: "not enough disk space for …: needs 5.9 GB free, has 2.1 GB". */
    message: string({ max: 500 }),
  },
});
export type ModelState = Infer<typeof modelStateSchema>;

export const tierModelSchema = object({ tier: tierIdSchema, state: modelStateSchema });
export type TierModel = Infer<typeof tierModelSchema>;

export const tierModelsSchema = array(tierModelSchema, { max: 16 });
