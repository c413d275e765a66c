// Ledger sync over a plain TCP socket with 4-byte length-prefixed frames: used by the benchmark (and usable
// until libp2p carries /og/ledger-sync/2.0.0). One request in flight per connection; every frame is
// size-limited before it is buffered.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { SyncTransport } from './ledger-sync.ts';
import { answerSyncRequest } from './sync-answer.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import { MAX_SYNC_FRAME_BYTES } from '../../../src-shared/ledger/sync/sync-messages.ts';

/** Split a byte stream into length-prefixed frames; calls `onFrame` per frame, `onError` on an oversize frame. */
function frameReader(
  onFrame: (frame: Uint8Array) => void,
  onError: (error: Error) => void,
): (chunk: Buffer) => void {
  let buffer: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (length > MAX_SYNC_FRAME_BYTES) {
        onError(new Error('sync frame too large'));
        return;
      }
      if (buffer.length < 4 + length) return;
      const frame = buffer.subarray(4, 4 + length);
      buffer = buffer.subarray(4 + length);
      onFrame(new Uint8Array(frame));
    }
  };
}

function writeFrame(socket: Socket, frame: Uint8Array): void {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(frame.length, 0);
  socket.write(Buffer.concat([header, frame]));
}

/** Serve sync requests from `view` on 127.0.0.1; resolves to the server and its port. */
export async function serveLedgerSync(view: LedgerView): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on(
      'data',
      frameReader(
        (frame) => writeFrame(socket, answerSyncRequest(view, frame)),
        () => socket.destroy(),
      ),
    );
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

/** A client transport over one TCP connection to 127.0.0.1:port (the peer name is ignored). */
export async function connectLedgerSync(port: number): Promise<SyncTransport & { close(): void }> {
  const socket = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let waiting: { resolve: (frame: Uint8Array) => void; reject: (error: Error) => void } | null = null;
  socket.on(
    'data',
    frameReader(
      (frame) => {
        const w = waiting;
        waiting = null;
        w?.resolve(frame);
      },
      (error) => {
        waiting?.reject(error);
        socket.destroy();
      },
    ),
  );
  socket.on('close', () => waiting?.reject(new Error('connection closed')));
  let queue: Promise<unknown> = Promise.resolve();
  return {
    request(_peer, request, { signal }) {
      const run = () =>
        new Promise<Uint8Array>((resolve, reject) => {
          if (signal.aborted) return reject(new Error('aborted'));
          const onAbort = () => reject(new Error('aborted'));
          signal.addEventListener('abort', onAbort, { once: true });
          waiting = {
            resolve: (frame) => {
              signal.removeEventListener('abort', onAbort);
              resolve(frame);
            },
            reject: (error) => {
              signal.removeEventListener('abort', onAbort);
              reject(error);
            },
          };
          writeFrame(socket, request);
        });
      const result = queue.then(run, run);
      queue = result.catch(() => undefined);
      return result;
    },
    close: () => socket.destroy(),
  };
}
