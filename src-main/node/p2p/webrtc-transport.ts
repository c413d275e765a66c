// WebRTC private-to-private (libp2p's `/webrtc`): two nodes that reach each other only through a relay
// exchange SDP and ICE candidates over the relayed connection, and ICE then punches a direct UDP path
// through their NATs (what DCUtR cannot do over TCP from Node: nat-lab-findings, BENCHMARKS "NAT lab").
// ICE servers are always set explicitly, empty unless configured: the library's default is four public
// STUN servers looked up by name, which a node must never contact on its own.
import type { Transport } from '@libp2p/interface';
import type { WebRTCTransportComponents } from '@libp2p/webrtc';
import { isStunServerUrl } from './stun-servers.ts';

export type WebRtcTransportFactory = (components: WebRTCTransportComponents) => Transport;

/** The multiaddr a node listens on to accept WebRTC connections signalled through its relays. */
export const WEBRTC_LISTEN = '/webrtc';

/** Streams a peer may open on a WebRTC connection before the muxer is up (libp2p's default: 10). */
const MAX_EARLY_STREAMS = 16;

/**
 * Loads @libp2p/webrtc and its native part (node-datachannel) only when a node runs it: the import costs
 * memory and start-up time, and a platform without the prebuilt binary must still run, relayed. Throws
 * WebRtcUnavailableError's cause when the module cannot load.
 */
export async function loadWebRtcTransport(iceServers: readonly string[]): Promise<WebRtcTransportFactory> {
  for (const url of iceServers) {
    if (!isStunServerUrl(url)) throw new RangeError(`"${url}" is not a stun:<ip>:<port> URL`);
  }
  const { webRTC } = await import('@libp2p/webrtc');
  return webRTC({
    // A fresh object each time: the library fills in its defaults on the object it is given.
    rtcConfiguration: () => ({ iceServers: iceServers.map((url) => ({ urls: [url] })) }),
    maxEarlyStreams: MAX_EARLY_STREAMS,
  });
}
