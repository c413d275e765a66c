// What a UI-side transport must do: carry a call to the node and carry notifications back. The Electron
// preload's `api` object and the WebSocket client both implement it; payloads stay unchecked here, the
// client validates them against the contract.

/** A raw notification as it came off the wire. */
export interface RawNotification {
  readonly name: string;
  readonly payload: unknown;
}

export interface ContractTransport {
  /** Resolves with the raw CallResult envelope; rejects only when the transport itself failed. */
  call(name: string, input: unknown): Promise<unknown>;
  subscribe(listener: (notification: RawNotification) => void): () => void;
}

/** The name under which the preload exposes its transport to the renderer (`window.api`). */
export const PRELOAD_API_KEY = 'api';
