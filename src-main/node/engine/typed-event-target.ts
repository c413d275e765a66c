// A typed EventTarget (the js-libp2p `TypedEventEmitter` pattern) on Node's built-in EventTarget, so a
// service's events are checked by the compiler without a dependency.

/** A listener for one event type of an event map. */
export type TypedListener<E extends Event> = ((event: E) => void) | { handleEvent(event: E): void };

type BaseListener = Parameters<EventTarget['addEventListener']>[1];
type AddOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2];

/** EventTarget whose event names and payloads come from `Events`. */
export class TypedEventTarget<Events extends { [K in keyof Events]: Event }> extends EventTarget {
  override addEventListener<K extends keyof Events & string>(
    type: K,
    listener: TypedListener<Events[K]> | null,
    options?: AddOptions,
  ): void {
    super.addEventListener(type, listener as BaseListener, options);
  }

  override removeEventListener<K extends keyof Events & string>(
    type: K,
    listener: TypedListener<Events[K]> | null,
    options?: RemoveOptions,
  ): void {
    super.removeEventListener(type, listener as BaseListener, options);
  }

  /** Dispatch a CustomEvent carrying `detail`. */
  protected emit<K extends keyof Events & string>(
    type: K,
    detail: Events[K] extends CustomEvent<infer D> ? D : never,
  ): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
