// The host's end of its channel to the node: process.parentPort when Electron started it as a utility
// process (the desktop app), otherwise the pipe the node opened on fd 3 (the headless node, tests).
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { MessageDuplex } from './message-duplex.ts';

/** Electron's process.parentPort, as much of it as the host uses. */
export interface ParentPortLike {
  on(event: 'message', listener: (event: { readonly data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

/** The parent port when this process is an Electron utility process; null otherwise. */
export function parentPortOf(proc: NodeJS.Process): ParentPortLike | null {
  return (proc as NodeJS.Process & { parentPort?: ParentPortLike | null }).parentPort ?? null;
}

export function openNodeChannel(): Duplex {
  const port = parentPortOf(process);
  if (port === null) return new Socket({ fd: 3, readable: true, writable: true });
  const channel = new MessageDuplex((bytes) => port.postMessage(bytes));
  port.on('message', (event) => channel.receive(event.data));
  return channel;
}
