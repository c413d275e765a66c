// Starts the node inside the desktop app: a real OpenGatewayNode on the app's data folder, with the network
// config stored there, served through serveNode with the desktop shell in front (desktop-handlers.ts adds
// idle-only mode, start at login and updates), so the window and the node's browser dashboard answer alike.
import { utilityProcess } from 'electron';
import { serveNode, type ServedNode } from '../node/local-api/serve-node.ts';
import { OpenGatewayNode } from '../node/node.ts';
import { failedNodeContract } from './failed-node.ts';
import type { LaunchNode, NodeHandle } from './node-handle.ts';
import { utilityHostLauncher } from './utility-host-launcher.ts';

export const launchNode: LaunchNode = ({ dataDir, version, log }) => {
  // EXO where it is installed, otherwise the built-in llama.cpp every install has (DESIGN.md §7). The welcome
  // asks before this computer contributes (first-run.json records the answer). The built-in engine's host runs
  // as an Electron utility process: the packaged app has the RunAsNode fuse off (security finding 19).
  const node = new OpenGatewayNode({
    dataDir,
    version,
    log,
    routing: { engine: { kind: 'auto' }, builtinHostLauncher: utilityHostLauncher(utilityProcess) },
    requireConsent: true,
  });
  let served: ServedNode | null = null;
  const handle: NodeHandle = {
    async start(front) {
      let fronted = false;
      try {
        served = await serveNode(node, {
          apiPort: 0,
          shell: 'desktop',
          log,
          wrap: (own) => {
            fronted = true;
            return front(own);
          },
        });
      } catch (error) {
        // Refused before the contract existed (another node runs on this folder): the window says why.
        if (!fronted) front(failedNodeContract(messageOf(error), dataDir, version));
        throw error;
      }
    },
    // A node that failed to start has stopped already; stopping it again is harmless.
    stop: () => served?.stop() ?? node.stop(),
  };
  return Promise.resolve(handle);
};

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
