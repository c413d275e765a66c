// Starts the node inside the desktop app. The node's composition root exists (src-main/node/node.ts), but
// the adapter that maps its services onto the ipc contract does not yet; until it lands, the app opens
// and says so plainly rather than pretending to contribute.
import { createFailedNodeHandle } from './failed-node.ts';
import type { LaunchNode } from './node-handle.ts';

export const launchNode: LaunchNode = ({ dataDir, version }) =>
  Promise.resolve(
    createFailedNodeHandle(
      'this build of the desktop app does not start the node yet. Run the headless node: npx opengateway-node start',
      dataDir,
      version,
    ),
  );
