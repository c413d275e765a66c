// The local API's routes of a running node: its status, and the OpenAI routes once routing exists.
import type { ChatGateway } from '../../routing/chat-gateway.ts';
import type { NodeStatusReport } from '../../node-status.ts';
import type { ApiRoute } from '../http/api-server.ts';
import { openAiError } from '../openai/openai-errors.ts';
import { openAiRoutes } from '../openai/openai-routes.ts';

export function nodeRoutes(node: {
  readonly report: () => NodeStatusReport;
  readonly gateway: () => ChatGateway | undefined;
}): Map<string, ApiRoute> {
  // The API starts before the network: until routing exists, the OpenAI routes say the node is starting.
  let openAi: { readonly gateway: ChatGateway; readonly routes: Map<string, ApiRoute> } | null = null;
  const routes = new Map<string, ApiRoute>([
    ['GET /api/status', () => ({ status: 200, body: node.report() })],
    // The requester's counts (retries before the first token, cuts): the chaos run's evidence.
    [
      'GET /api/routing',
      () => {
        const gateway = node.gateway();
        return gateway
          ? { status: 200, body: { requester: gateway.stats } }
          : { status: 503, body: { error: 'the node is still starting' } };
      },
    ],
  ]);
  for (const name of ['GET /v1/models', 'POST /v1/chat/completions']) {
    routes.set(name, (request) => {
      const gateway = node.gateway();
      if (!gateway) return openAiError(503, 'the node is still starting', 'server_error', 'starting');
      if (openAi?.gateway !== gateway) openAi = { gateway, routes: openAiRoutes(gateway) };
      const route = openAi.routes.get(name);
      return route ? route(request) : openAiError(404, 'not found', 'invalid_request_error');
    });
  }
  return routes;
}
