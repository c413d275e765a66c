// Starts the node inside the desktop app: a real OpenGatewayNode on the app's data folder, with the network
// config stored there, behind the ipc contract the node itself serves (the same one its dashboard uses).
// The shell in front adds idle-only mode, start at login and updates (desktop-handlers.ts).
import { OpenGatewayNode } from '../node/node.ts';
import type { LaunchNode, NodeHandle } from './node-handle.ts';

export const launchNode: LaunchNode = ({ dataDir, version, log }) => {
  const node = new OpenGatewayNode({ dataDir, version, log, shell: 'desktop' });
  const handle: NodeHandle = {
    handlers: node.contract.own.handlers,
    notifications: node.contract.own.notifications,
    serve: (shell) => node.contract.serveFrom(shell),
    // A failed start leaves the node in `error` with its reason, which the window and tray then show.
    start: () => node.start(),
    stop: () => node.stop(),
  };
  return Promise.resolve(handle);
};
