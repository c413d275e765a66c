import type * as Dgram from 'node:dgram';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readXorMappedAddress, STUN_MAGIC_COOKIE } from '../../../../src-main/node/p2p/stun-message.ts';
import { StunResponder } from '../../../../src-main/node/p2p/stun-responder.ts';

// The real module, with every socket it creates recorded: a datagram from source port 0 needs a raw socket
// to send, so that test hands the responder's own socket what the kernel would deliver.
const created = vi.hoisted(() => [] as Socket[]);
vi.mock('node:dgram', async (original) => {
  const dgram = await original<typeof Dgram>();
  return {
    ...dgram,
    createSocket: (...args: Parameters<typeof dgram.createSocket>) => {
      const socket = dgram.createSocket(...args);
      created.push(socket);
      return socket;
    },
  };
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function client(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((done) => socket.close(() => done())));
  return socket;
}

function request(id: number): Uint8Array {
  const message = new Uint8Array(20);
  const view = new DataView(message.buffer);
  view.setUint16(0, 0x0001);
  view.setUint32(4, STUN_MAGIC_COOKIE);
  view.setUint32(16, id);
  return message;
}

/** The next datagram, or null when none comes within `ms`. */
async function next(socket: Socket, ms: number): Promise<Buffer | null> {
  const timeout = AbortSignal.timeout(ms);
  try {
    const [datagram] = (await once(socket, 'message', { signal: timeout })) as [Buffer];
    return datagram;
  } catch {
    return null;
  }
}

describe('the STUN responder', () => {
  it('tells a client the address and port it sent from, over real UDP', async () => {
    const responder = new StunResponder();
    cleanup.push(() => responder.stop());
    const { bound, failed } = await responder.start([{ host: '127.0.0.1', port: 0 }]);
    expect(failed).toEqual([]);
    const socket = await client();
    socket.send(request(7), bound[0]!.port, '127.0.0.1');
    const answer = await next(socket, 5_000);
    expect(answer).not.toBeNull();
    expect(answer!.subarray(8, 20)).toEqual(Buffer.from(request(7).subarray(8, 20)));
    expect(readXorMappedAddress(answer!)).toEqual({ address: '127.0.0.1', port: socket.address().port });
  });

  it('says nothing to garbage, and stays up for the next client', async () => {
    const responder = new StunResponder();
    cleanup.push(() => responder.stop());
    const { bound } = await responder.start([{ host: '127.0.0.1', port: 0 }]);
    const socket = await client();
    socket.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'), bound[0]!.port, '127.0.0.1');
    socket.send(Buffer.alloc(4000, 1), bound[0]!.port, '127.0.0.1');
    expect(await next(socket, 300)).toBeNull();
    expect(responder.refused).toBe(2);
    socket.send(request(1), bound[0]!.port, '127.0.0.1');
    expect(await next(socket, 5_000)).not.toBeNull();
  });

  it('answers no more than its rate allows (no reflector for floods)', async () => {
    const responder = new StunResponder({ maxAnswersPerSecond: 3, maxAnswersPerSourcePerSecond: 100 });
    cleanup.push(() => responder.stop());
    const { bound } = await responder.start([{ host: '127.0.0.1', port: 0 }]);
    const socket = await client();
    for (let i = 0; i < 10; i += 1) socket.send(request(i), bound[0]!.port, '127.0.0.1');
    const deadline = Date.now() + 5_000;
    while (responder.answered + responder.refused < 10 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // All ten arrive within one second on loopback, unless the machine stalls for a second in between.
    expect(responder.answered).toBeGreaterThanOrEqual(3);
    expect(responder.answered).toBeLessThan(10);
  });

  it('skips an address it cannot bind instead of failing the node', async () => {
    const holder = await client();
    const responder = new StunResponder();
    cleanup.push(() => responder.stop());
    const { bound, failed } = await responder.start([
      { host: '127.0.0.1', port: holder.address().port },
      { host: '127.0.0.1', port: 0 },
    ]);
    expect(failed).toHaveLength(1);
    expect(bound).toHaveLength(1);
  });

  it('drops a request from source port 0 instead of throwing out of its handler (one datagram kills no node)', async () => {
    const responder = new StunResponder();
    cleanup.push(() => responder.stop());
    created.length = 0;
    const { bound } = await responder.start([{ host: '127.0.0.1', port: 0 }]);
    const socket = created[0]!;
    // Port 0 is a legal UDP source port on the wire; Node's send() throws synchronously for it.
    const sender = { address: '127.0.0.1', family: 'IPv4' as const, port: 0, size: 20 };
    expect(() => socket.emit('message', Buffer.from(request(3)), sender)).not.toThrow();
    expect(responder.answered).toBe(0);
    expect(responder.refused).toBe(1);
    // And it keeps answering everyone else.
    const client1 = await client();
    client1.send(request(4), bound[0]!.port, '127.0.0.1');
    expect(await next(client1, 5_000)).not.toBeNull();
  });

  it('keeps answering other nodes while one source floods it', async () => {
    const responder = new StunResponder({ maxAnswersPerSecond: 10, maxAnswersPerSourcePerSecond: 3 });
    cleanup.push(() => responder.stop());
    const { bound } = await responder.start([{ host: '127.0.0.1', port: 0 }]);
    const flooder = await client();
    // The flooder asks from one address more often than the whole budget allows.
    for (let i = 0; i < 20; i += 1) flooder.send(request(i), bound[0]!.port, '127.0.0.1');
    const deadline = Date.now() + 5_000;
    while (responder.answered + responder.refused < 20 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(responder.answered).toBeLessThanOrEqual(3 * 2); // its share, in at most two windows
    // Another node (here another address on loopback) still gets its answer within the same second.
    const other = createSocket('udp4');
    await new Promise<void>((resolve) => other.bind(0, '127.0.0.2', resolve));
    cleanup.push(() => new Promise<void>((done) => other.close(() => done())));
    other.send(request(99), bound[0]!.port, '127.0.0.1');
    const answer = await next(other, 5_000);
    expect(answer).not.toBeNull();
    expect(readXorMappedAddress(answer!)).toEqual({ address: '127.0.0.2', port: other.address().port });
  });
});
