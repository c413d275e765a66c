// A llama host double that answers the node with a frame far over the event size limit, then waits: the node
// must refuse it, kill the host and not buffer the announced bytes.
import { Socket } from 'node:net';

const channel = new Socket({ fd: 3, readable: true, writable: true });
const header = Buffer.alloc(4);
header.writeUInt32BE(512 * 1024 * 1024);
channel.write(Buffer.concat([header, Buffer.alloc(1024, 0x41)]));
channel.on('data', () => undefined);
setInterval(() => undefined, 60_000);
