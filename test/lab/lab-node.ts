// A lab node: the project's real P2pService (and, on request, its MembershipService) in a child process
// that the lab starts inside a network namespace (`ip netns exec`). It takes its options as one JSON
// argument, answers JSON-line commands on stdin and reports connections as JSON lines on stdout.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Connection, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { createInterface } from 'node:readline';
import { MembershipService } from '../../src-main/node/membership/membership-service.ts';
import { openStream } from '../../src-main/node/p2p/open-stream.ts';
import type { P2pInit } from '../../src-main/node/p2p/p2p-init.ts';
import { P2pService } from '../../src-main/node/p2p/p2p-service.ts';
import type { LabCommand, LabNodeOptions } from './lab-protocol.ts';
import { ECHO_PROTOCOL, MAX_ECHO_FRAME } from './lab-protocol.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as LabNodeOptions;
const init: P2pInit = {
  gossipHeartbeatMs: 200,
  upnp: false,
  natTraversal: true,
  // The lab's namespaces are its own: this node opts out of local-only explicitly.
  localOnly: false,
  ...options.p2p,
};
const p2p = new P2pService({ privateKey: await generateKeyPair('Ed25519') }, init);
await p2p.start();
const libp2p = p2p.libp2p;
const started = Date.now();

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ t: Date.now() - started, ...line })}\n`);
}

function describe(connection: Connection): Record<string, unknown> {
  const remoteAddr = connection.remoteAddr.toString();
  return {
    peer: connection.remotePeer.toString(),
    remoteAddr,
    // A WebRTC connection is signalled through the relay (its address names it) but carries data directly.
    relayed: remoteAddr.includes('/p2p-circuit') && !remoteAddr.includes('/webrtc'),
    webrtc: remoteAddr.includes('/webrtc'),
    direction: connection.direction,
    status: connection.status,
  };
}

libp2p.addEventListener('connection:open', (event) =>
  emit({ event: 'connection', ...describe(event.detail) }),
);

// Echo: read frames until an empty frame, answer with the same number of bytes, then an empty frame.
await libp2p.handle(
  ECHO_PROTOCOL,
  async (stream: Stream) => {
    const lp = lpStream(stream, { maxDataLength: MAX_ECHO_FRAME });
    try {
      let total = 0;
      for (;;) {
        const frame = await lp.read({ signal: AbortSignal.timeout(30_000) });
        if (frame.byteLength === 0) break;
        total += frame.byteLength;
      }
      for (let sent = 0; sent < total; sent += MAX_ECHO_FRAME) {
        await lp.write(new Uint8Array(Math.min(MAX_ECHO_FRAME, total - sent)));
      }
      await lp.write(new Uint8Array(0));
      await stream.close({ signal: AbortSignal.timeout(5_000) });
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error('echo failed'));
    }
  },
  { runOnLimitedConnection: true },
);

let membership: MembershipService | null = null;
if (options.membership) {
  membership = new MembershipService({ libp2p }, { heartbeatIntervalMs: 300 });
  await membership.start();
  await membership.join({
    region: options.membership.region,
    serve: [options.membership.tier],
    watch: [options.membership.tier],
  });
}

async function echo(
  peer: string,
  bytes: number,
): Promise<{ received: number; ms: number; relayed: boolean }> {
  const begin = performance.now();
  const stream = await openStream(libp2p, peerIdFromString(peer), ECHO_PROTOCOL, {
    signal: AbortSignal.timeout(20_000),
    runOnLimitedConnection: true,
  });
  const relayed = libp2p.getConnections(peerIdFromString(peer)).every((c) => c.limits !== undefined);
  const lp = lpStream(stream, { maxDataLength: MAX_ECHO_FRAME });
  for (let sent = 0; sent < bytes; sent += MAX_ECHO_FRAME) {
    await lp.write(new Uint8Array(Math.min(MAX_ECHO_FRAME, bytes - sent)));
  }
  await lp.write(new Uint8Array(0));
  let received = 0;
  for (;;) {
    const frame = await lp.read({ signal: AbortSignal.timeout(60_000) });
    if (frame.byteLength === 0) break;
    received += frame.byteLength;
  }
  await stream.close({ signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  return { received, ms: performance.now() - begin, relayed };
}

async function handle(command: LabCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'status':
      return {
        peerId: p2p.peerId,
        addresses: p2p.listenAddresses(),
        connections: libp2p.getConnections().map(describe),
        webRtc: p2p.webRtc,
        upnpAddress: p2p.upnpAddress,
        upgrades: p2p.webRtcUpgrades?.recent ?? [],
      };
    case 'dial': {
      const connection = await libp2p.dial(multiaddr(command.address), {
        signal: AbortSignal.timeout(20_000),
      });
      return describe(connection);
    }
    case 'echo':
      return echo(command.peer, command.bytes);
    case 'hangUp':
      await libp2p.hangUp(peerIdFromString(command.peer), { signal: AbortSignal.timeout(5_000) });
      return 'closed';
    case 'members':
      return (membership?.cluster(options.membership?.tier ?? '')?.members() ?? []).map(
        (member) => member.peerId,
      );
    case 'stop':
      await membership?.stop();
      await p2p.stop();
      setImmediate(() => process.exit(0));
      return 'stopped';
  }
}

emit({ event: 'ready', peerId: p2p.peerId, addresses: p2p.listenAddresses() });
for await (const line of createInterface({ input: process.stdin })) {
  let command: LabCommand;
  try {
    command = JSON.parse(line) as LabCommand;
  } catch {
    continue;
  }
  handle(command).then(
    (result) => emit({ id: command.id, ok: true, result }),
    (error: unknown) =>
      emit({
        id: command.id,
        ok: false,
        error: error instanceof Error ? `${error.name}: ${error.message}` : 'error',
      }),
  );
}
await membership?.stop();
await p2p.stop();
