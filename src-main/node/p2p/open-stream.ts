// Opening a protocol stream to a peer we may already be connected to. libp2p's dialProtocol by peer id
// reuses only an unlimited connection: with nothing but a relayed (limited) one it dials the relay again,
// and when two such dials meet, the duplicate is aborted under one of the callers ("the connection muxer
// is closing"). So: a direct connection if there is one (TCP, or WebRTC after a hole punch), else the
// relayed one we have, and a fresh dial only when there is neither.
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';

export interface OpenStreamOptions {
  readonly signal: AbortSignal;
  /** Allow a relayed (limited) connection; without it only a direct one will do. */
  readonly runOnLimitedConnection?: boolean;
  /** libp2p's per-connection ceiling of outbound streams for the protocol. */
  readonly maxOutboundStreams?: number;
  /** false: optimistic protocol selection (the first write carries the proposal). */
  readonly negotiateFully?: boolean;
}

/** The open connection to `peer` a new stream should use: direct first, then relayed (when allowed). */
export function bestConnection(
  libp2p: Pick<Libp2p, 'getConnections'>,
  peer: PeerId,
  allowLimited: boolean,
): Connection | null {
  const open = libp2p.getConnections(peer).filter((connection) => connection.status === 'open');
  return (
    open.find((connection) => connection.limits === undefined) ??
    (allowLimited ? open.find((connection) => connection.limits !== undefined) : undefined) ??
    null
  );
}

/** A stream for `protocol` to `peer`, over the best connection we have or a new one. */
export async function openStream(
  libp2p: Pick<Libp2p, 'getConnections' | 'dialProtocol'>,
  peer: PeerId,
  protocol: string,
  options: OpenStreamOptions,
): Promise<Stream> {
  const allowLimited = options.runOnLimitedConnection ?? false;
  const streamOptions = {
    signal: options.signal,
    runOnLimitedConnection: allowLimited,
    ...(options.maxOutboundStreams !== undefined ? { maxOutboundStreams: options.maxOutboundStreams } : {}),
    ...(options.negotiateFully !== undefined ? { negotiateFully: options.negotiateFully } : {}),
  };
  const connection = bestConnection(libp2p, peer, allowLimited);
  if (connection !== null) {
    try {
      return await connection.newStream(protocol, streamOptions);
    } catch (error) {
      // The connection closed under us (or the peer refused the protocol on it): a fresh dial decides.
      options.signal.throwIfAborted();
      if (connection.status === 'open') throw error;
    }
  }
  return libp2p.dialProtocol(peer, protocol, streamOptions);
}
