// The attacker side of the routing attack tests: raw /og/infer streams from a real libp2p node (with or
// without an account). The paid workers and requesters they attack are the ledger tests' paid nodes
// (../ledger/paid-network-kit.ts): real libp2p nodes, real ledgers in SQLite files, the EXO double.
import type { Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import {
  MAX_RESPONSE_FRAME_BYTES,
  decodeWorkerFrame,
  encodeRequesterFrame,
  type RequesterFrame,
  type WorkerFrame,
} from '../../../../src-shared/protocol/infer-frames.ts';
import { INFER_PROTOCOL } from '../../../../src-shared/protocol/index.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { FrameChannel } from '../../../../src-main/node/routing/frame-channel.ts';
import { cleanup } from '../ledger/paid-network-kit.ts';
import { startLoopbackP2p } from '../p2p/loopback-network.ts';

/** A plain libp2p node (no account, no ledger) connected to `to`; stopped by the paid kit's cleanup. */
export async function strangerNode(to: P2pService): Promise<P2pService> {
  const stranger = await startLoopbackP2p({});
  cleanup.push(() => stranger.stop());
  await stranger.libp2p.dial(multiaddr(to.listenAddresses()[0]), { signal: AbortSignal.timeout(5_000) });
  return stranger;
}

/** A raw /og/infer stream from `from` to `to`, speaking frames as a (possibly hostile) requester. */
export async function rawInferStream(
  from: P2pService,
  to: string,
): Promise<{ stream: Stream; channel: FrameChannel<WorkerFrame, RequesterFrame> }> {
  const stream = await from.libp2p.dialProtocol(peerIdFromString(to), INFER_PROTOCOL, {
    signal: AbortSignal.timeout(5_000),
    runOnLimitedConnection: true,
    maxOutboundStreams: 4096,
  });
  const channel = new FrameChannel<WorkerFrame, RequesterFrame>(stream, {
    maxInBytes: MAX_RESPONSE_FRAME_BYTES,
    decode: decodeWorkerFrame,
    encode: encodeRequesterFrame,
  });
  return { stream, channel };
}

/** A short request: the attack tests look at what a worker does with the stream, not at long replies. */
export const ASK = { messages: [{ role: 'user' as const, content: 'Say hello' }], max_tokens: 20 };
