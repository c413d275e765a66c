// DOUBLE, child side: loaded with --import into every process the utilityProcess double forks, so that the
// script finds what a real Electron utility process gives it. process.parentPort: messages arrive as
// { data, ports } events and are queued until a 'message' listener exists; postMessage goes to the parent.
// Node's own IPC surface (process.send) is hidden, as a utility process has none. child_process.fork throws,
// as it does in a packaged app whose RunAsNode fuse is off (Electron's fork needs ELECTRON_RUN_AS_NODE).
import childProcess from 'node:child_process';
import { EventEmitter } from 'node:events';
import { syncBuiltinESMExports } from 'node:module';

const send = process.send?.bind(process);
if (send === undefined) throw new Error('the utilityProcess double starts its children with an IPC channel');

class ParentPortDouble extends EventEmitter {
  postMessage(message: unknown): void {
    send!(message);
  }
}

const port = new ParentPortDouble();
const queued: unknown[] = [];
process.on('message', (data: unknown) => {
  if (port.listenerCount('message') === 0) queued.push(data);
  else port.emit('message', { data, ports: [] });
});
port.on('newListener', (event: string) => {
  if (event !== 'message') return;
  queueMicrotask(() => {
    for (const data of queued.splice(0)) port.emit('message', { data, ports: [] });
  });
});

Object.defineProperty(process, 'parentPort', { value: port, enumerable: true });
Object.defineProperty(process, 'send', { value: undefined, configurable: true, writable: true });

if (process.env.OG_DOUBLE_RUN_AS_NODE_FUSE !== 'on') {
  childProcess.fork = () => {
    throw new Error('child_process.fork is not available: the RunAsNode fuse is disabled');
  };
  syncBuiltinESMExports();
}
