// The worker's slots (/og/infer): which tiers can take a request now, the load per tier against the member's
// advertised capacity, the pause, and the requests in flight that a stop or a drain cancels.
import type { RefusalReason } from '../../../src-shared/protocol/infer-frames.ts';
import type { Engine } from '../engine/engine.ts';

/** The engines this node runs, one per tier it serves. */
export interface WorkerEngines {
  engineFor(tier: string): Engine | undefined;
}

/** A refusal or an admission, and its slot. */
export type Admission =
  | { readonly ok: true; readonly engine: Engine; readonly model: string; readonly release: () => void }
  | { readonly ok: false; readonly reason: RefusalReason; readonly message: string };

/** Why a tier cannot take a request now, or its engine when it can (nothing is taken). */
export type Availability =
  | { readonly ok: true; readonly engine: Engine }
  | { readonly ok: false; readonly reason: RefusalReason; readonly message: string };

/** Where slot changes are told (the worker turns them into its `load` and `in-flight` events). */
export interface SlotNotices {
  readonly load: (tier: string, load: number) => void;
  readonly inFlight: (count: number) => void;
}

/** Slots per tier and the requests running in them. */
export class WorkerSlots {
  readonly #engines: WorkerEngines;
  readonly #notices: SlotNotices;
  #capacity: number;
  readonly #load = new Map<string, number>();
  readonly #inFlight = new Set<AbortController>();
  #paused = false;

  constructor(engines: WorkerEngines, capacity: number, notices: SlotNotices) {
    this.#engines = engines;
    this.#capacity = capacity;
    this.#notices = notices;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** New requests see the new cap at once; requests in flight finish. Every tier's load is told again. */
  setCapacity(capacity: number): void {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#capacity = capacity;
    for (const [tier, load] of this.#load) this.#notices.load(tier, load);
  }

  load(tier: string): number {
    return this.#load.get(tier) ?? 0;
  }

  get paused(): boolean {
    return this.#paused;
  }

  setPaused(paused: boolean): void {
    this.#paused = paused;
  }

  /** Requests running now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Cancel every request in flight, each with its own reason; how many there were. */
  abortAll(reason: () => Error): number {
    const count = this.#inFlight.size;
    for (const controller of this.#inFlight) controller.abort(reason());
    return count;
  }

  availability(tier: string): Availability {
    if (this.#paused) return { ok: false, reason: 'paused', message: 'this node has paused contributing' };
    const engine = this.#engines.engineFor(tier);
    if (!engine) return { ok: false, reason: 'unknown-tier', message: `this node does not serve ${tier}` };
    const state = engine.state;
    if (state.status !== 'ready' || state.models.length === 0) {
      return { ok: false, reason: 'not-ready', message: `the ${tier} engine is ${state.status}` };
    }
    if (this.load(tier) >= this.#capacity)
      return { ok: false, reason: 'busy', message: `all ${this.#capacity} slots are busy` };
    return { ok: true, engine };
  }

  /** Take a slot for `tier`, or say why not. */
  admit(tier: string): Admission {
    const available = this.availability(tier);
    if (!available.ok) return available;
    const { engine } = available;
    const state = engine.state;
    if (state.status !== 'ready') throw new Error('unreachable: availability checked the state');
    this.#setLoad(tier, this.load(tier) + 1);
    let released = false;
    return {
      ok: true,
      engine,
      model: state.models[0] ?? '',
      release: () => {
        if (released) return;
        released = true;
        this.#setLoad(tier, this.load(tier) - 1);
      },
    };
  }

  /** A request starts running: its controller follows `parent` and is cancelled by abortAll. */
  track(parent?: AbortSignal): AbortController {
    const controller = new AbortController();
    if (parent) {
      if (parent.aborted) controller.abort(parent.reason);
      else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
    }
    this.#inFlight.add(controller);
    this.#notices.inFlight(this.#inFlight.size);
    return controller;
  }

  untrack(controller: AbortController): void {
    if (this.#inFlight.delete(controller)) this.#notices.inFlight(this.#inFlight.size);
  }

  #setLoad(tier: string, load: number): void {
    this.#load.set(tier, Math.max(0, load));
    this.#notices.load(tier, Math.max(0, load));
  }
}
