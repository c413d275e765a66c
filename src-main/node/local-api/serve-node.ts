// The one composition of a node and its faces: the CLI's `start`, the desktop app, devnets and tests call it.
// It takes the data directory (a second node is refused before anything is written), builds the UI contract,
// lets a shell in front (the desktop app) wrap its calls and notifications, starts the local API with the
// dashboard and `/api/ws`, writes api.json, then starts the node. stop() undoes it all in reverse.
import { join } from 'node:path';
import { packageRoot } from '../package-root.ts';
import type { RunningNode } from '../running-node.ts';
import { onStop, StartedParts } from '../startable.ts';
import { NodeContract, type ContractSurface, type NodeShell } from './contract/node-contract.ts';
import { removeApiEndpoint, writeApiEndpoint } from './http/api-endpoint-file.ts';
import { loadOrCreateApiKey } from './http/api-key.ts';
import { ApiServer, type ApiServerInit } from './http/api-server.ts';
import { ledgerApiRoute } from './routes/ledger-api-route.ts';
import { nodeRoutes } from './routes/node-routes.ts';
import { createContractWsEndpoint } from './ws/contract-ws-endpoint.ts';

export type { ContractSurface, NodeShell } from './contract/node-contract.ts';
export type { NodeContract } from './contract/node-contract.ts';
export type { ApiServer } from './http/api-server.ts';
export { installLastResortHandlers } from './last-resort.ts';

/** Where `npm run build` puts the browser build of the renderer (from sources and from either bundle). */
const defaultDashboardDir = () => join(packageRoot(import.meta.url), 'out', 'renderer-web');

export interface ServeNodeOptions {
  /** The local API's port on 127.0.0.1; 0 picks a free one (api.json says which). */
  readonly apiPort: number;
  /** The built dashboard served at `/` (default: out/renderer-web of this checkout). */
  readonly dashboardDir?: string;
  /** Who shows the UI: the desktop app adds idle-only mode, start at login and updates. */
  readonly shell: NodeShell;
  /** A shell in front of the node: its version of the contract is what every transport serves. */
  readonly wrap?: (own: NodeContract) => ContractSurface;
  /** Connection caps and timeouts of the local API (tests lower them). */
  readonly api?: Omit<ApiServerInit, 'port'>;
  readonly log?: (line: string) => void;
  /** Aborts onboarding (the node then stops what started). */
  readonly signal?: AbortSignal;
}

export interface ServedNode {
  /** The node's own contract. */
  readonly contract: NodeContract;
  /** What the transports serve: the shell's contract when one wraps the node's, the node's otherwise. */
  readonly served: ContractSurface;
  readonly api: ApiServer;
  /** Stops the node and its faces (idempotent). */
  stop(): Promise<void>;
}

export async function serveNode(node: RunningNode, options: ServeNodeOptions): Promise<ServedNode> {
  const log = options.log ?? (() => {});
  const { locations } = node;
  // Before anything is written: a second node on this data directory must not touch the first one's files.
  await node.claimDataDir();
  const apiKey = await loadOrCreateApiKey(locations.apiKey);
  let listening: ApiServer | null = null;
  const contract = new NodeContract(node, {
    shell: options.shell,
    localApi: () => (listening ? { url: listening.url, key: apiKey } : null),
    onInternalError: (error, what) => log(`ui: ${what} failed: ${String(error)}`),
  });
  const served = options.wrap ? options.wrap(contract) : contract;
  const endpoint = createContractWsEndpoint({
    handlers: served.handlers,
    notifications: served.notifications,
    onInternalError: (error, call) => log(`ui: ${call} failed: ${String(error)}`),
  });
  const api = new ApiServer(
    {
      apiKey,
      routes: new Map([
        ...nodeRoutes({ report: () => node.report(), gateway: () => node.chatGateway ?? undefined }),
        ['GET /api/ledger', ledgerApiRoute(() => node.ledger)],
      ]),
      upgrade: endpoint,
      staticDir: options.dashboardDir ?? defaultDashboardDir(),
      onInternalError: (error, route) => log(`api: ${route} failed: ${String(error)}`),
    },
    { ...options.api, port: options.apiPort },
  );

  // Stopped last-first: the contract's chats end, the node leaves its clusters, dashboards hear 1001, the
  // server closes, api.json goes.
  const parts = new StartedParts();
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= parts.stopAll((error) => log(`stop: a part failed to stop cleanly: ${String(error)}`));
    return stopping;
  };
  try {
    parts.add(onStop(() => removeApiEndpoint(locations.apiEndpoint)));
    await parts.start(api);
    listening = api;
    parts.add(onStop(() => void (listening = null)));
    parts.add(onStop(() => endpoint.close()));
    await writeApiEndpoint(locations.apiEndpoint, { url: api.url, pid: process.pid });
    log(`api: ${api.url} (key in ${locations.apiKey})`);
    // The key stays out of logs: the page asks for it (or takes it from a #key= link).
    log(`dashboard: ${api.url}/ (paste the key from ${locations.apiKey} when it asks)`);
    parts.add(node);
    parts.add(onStop(() => contract.close()));
    await node.start(options.signal ? { signal: options.signal } : {});
  } catch (error) {
    await stop();
    // Also when the node never started (the port was taken): it gives the data directory back.
    await node.stop();
    throw error;
  }
  return { contract, served, api, stop };
}
