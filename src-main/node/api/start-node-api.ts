// The node's local API as onboarding starts it: the key (0600), the server on 127.0.0.1 with the node's
// routes, the dashboard and the ipc contract on /api/ws, and api.json so `status` and the CLI find it.
// Started before the network, so the dashboard can show onboarding as it happens.
import type { Locations } from '../locations.ts';
import type { NodeContract } from '../ui-contract/node-contract.ts';
import { removeApiEndpoint, writeApiEndpoint } from './api-endpoint-file.ts';
import { loadOrCreateApiKey } from './api-key.ts';
import { ApiServer, type ApiRoute, type ApiUpgradeHandler } from './api-server.ts';
import { createContractWsEndpoint } from './ws/contract-ws-endpoint.ts';

export interface NodeApiOptions {
  readonly locations: Locations;
  readonly contract: NodeContract;
  readonly routes: ReadonlyMap<string, ApiRoute>;
  /** Hands `/api/ws` upgrades to this handler instead of the node's own contract endpoint. */
  readonly wsUpgrade?: ApiUpgradeHandler;
  readonly dashboardDir: string;
  readonly apiPort: number;
  readonly log: (line: string) => void;
}

/** The running server, and what stops it, in the order the node stops things (last first). */
export async function startNodeApi(
  options: NodeApiOptions,
): Promise<{ api: ApiServer; stoppers: { stop(): Promise<void> }[] }> {
  const { locations, log } = options;
  const apiKey = await loadOrCreateApiKey(locations.apiKey);
  const endpoint = options.wsUpgrade
    ? null
    : createContractWsEndpoint({
        handlers: options.contract.handlers,
        notifications: options.contract.notifications,
        onInternalError: (error, call) => log(`ui: ${call} failed: ${String(error)}`),
      });
  const api = new ApiServer(
    {
      apiKey,
      routes: options.routes,
      upgrade: options.wsUpgrade ?? endpoint ?? undefined,
      staticDir: options.dashboardDir,
      onInternalError: (error, route) => log(`api: ${route} failed: ${String(error)}`),
    },
    { port: options.apiPort },
  );
  await api.start();
  const stoppers: { stop(): Promise<void> }[] = [
    {
      stop: async () => {
        await api.stop();
        await removeApiEndpoint(locations.apiEndpoint);
      },
    },
  ];
  // Dashboards are told the node is going (1001) before the server closes.
  if (endpoint) stoppers.push({ stop: () => endpoint.close() });
  await writeApiEndpoint(locations.apiEndpoint, { url: api.url, pid: process.pid });
  log(`api: ${api.url} (key in ${locations.apiKey})`);
  // The key stays out of logs: the page asks for it (or takes it from a #key= link).
  log(`dashboard: ${api.url}/ (paste the key from ${locations.apiKey} when it asks)`);
  return { api, stoppers };
}
