// The messages between bench/membership.ts (the coordinator, which runs the bootstrap node) and its workers
// (bench/membership-worker.ts, each running a share of the N nodes), over the child-process IPC channel.
// Times are wall-clock ms (Date.now()): every process of the run shares the machine's clock.

export interface WorkerSetup {
  readonly bootstrap: string;
  readonly count: number;
  readonly heartbeatMs: number;
  readonly dht: boolean;
  /** Full sample = this many other members up: min(active view size, N − 1). */
  readonly viewTarget: number;
}

export type WorkerRequest =
  | { readonly type: 'start'; readonly setup: WorkerSetup }
  | { readonly type: 'progress' }
  | { readonly type: 'window'; readonly ms: number }
  | { readonly type: 'join' }
  | { readonly type: 'watch-down'; readonly peerId: string }
  | { readonly type: 'hang'; readonly peerId: string }
  | { readonly type: 'kill'; readonly peerId: string }
  | { readonly type: 'memory' }
  | { readonly type: 'stop' };

export interface NodeProgress {
  readonly peerId: string;
  /** The members this node's sample holds up (verified), self excluded. */
  readonly members: readonly string[];
  readonly connections: number;
  /** When this node's sample first held half of `viewTarget` members up (null: not yet). */
  readonly halfAt: number | null;
  /** When this node's sample first held `viewTarget` members up. */
  readonly fullAt: number | null;
  /** When this node dropped the watched peer from its sample, and why. */
  readonly downAt: number | null;
  readonly downReason: string | null;
  /** The node's libp2p was stopped (the crash victim). */
  readonly stopped: boolean;
}

export interface WindowResult {
  /** Membership messages received on streams by this worker's nodes. */
  readonly deliveries: number;
  readonly bytesReceived: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly eventLoopUtilization: number;
  /** Event-loop delay over the window (ms): how late a timer or a socket read ran. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export type WorkerReply =
  | { readonly type: 'started'; readonly peerIds: readonly string[] }
  | { readonly type: 'progress'; readonly nodes: readonly NodeProgress[] }
  | { readonly type: 'window'; readonly result: WindowResult }
  | { readonly type: 'memory'; readonly rssBytes: number; readonly baselineRssBytes: number }
  | { readonly type: 'done' };

export interface WorkerEnvelope {
  readonly id: number;
  readonly request: WorkerRequest;
}

export interface ReplyEnvelope {
  readonly id: number;
  readonly reply?: WorkerReply;
  readonly error?: string;
}
