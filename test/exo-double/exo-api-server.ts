// The HTTP routes of EXO's API that the double serves (ref/exo-integration.md §2.1), plus two debug routes
// under /__double/ that are not EXO's and exist only so tests can look inside.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ChatCompletions } from './chat-completions.ts';
import { sendError } from './chat-completions.ts';
import { exoLog } from './exo-log.ts';
import { modelListEntry, MODEL_CARDS } from './model-cards.ts';
import type { SimulatedCluster } from './simulated-cluster.ts';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ApiServerParts {
  readonly cluster: SimulatedCluster;
  readonly chat: ChatCompletions;
  /** True once the API should stop answering (the hang fault). */
  readonly hung: () => boolean;
  readonly info: () => Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_BODY_BYTES) return null;
    parts.push(part);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function createExoApiServer(parts: ApiServerParts): Server {
  const { cluster, chat } = parts;
  const server = createServer((req, res) => {
    // Hung: accept the connection, never answer (what a wedged EXO looks like from outside).
    if (parts.hung()) return;
    // EXO's CORS (FastAPI CORSMiddleware, allow_origins ["*"] with credentials): any page's origin is echoed
    // back as allowed, and preflights are answered for every method and header.
    const origin = req.headers.origin;
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'Origin');
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
        res.setHeader('access-control-allow-methods', 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT');
        res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '*');
        res.setHeader('access-control-max-age', '600');
        return void res.writeHead(200).end('OK');
      }
    }
    route(req, res).catch((error: unknown) => {
      exoLog('ERROR', `Unhandled error serving ${req.url}: ${String(error)}`);
      if (!res.headersSent) sendError(res, 500, 'Internal Server Error', String(error));
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://exo');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/node_id') return sendJson(res, 200, cluster.localNodeId);
    if (method === 'GET' && path === '/state') return sendJson(res, 200, cluster.state());
    if (method === 'GET' && path.startsWith('/state/')) {
      const value = cluster.statePath(
        path
          .slice('/state/'.length)
          .split('/')
          .filter((s) => s !== ''),
      );
      return value === undefined
        ? sendError(res, 404, 'Not Found', `No state at ${path}`)
        : sendJson(res, 200, value);
    }
    if (method === 'GET' && path === '/events') return sendJson(res, 200, []);
    if (method === 'GET' && (path === '/models' || path === '/v1/models')) {
      return sendJson(res, 200, { object: 'list', data: MODEL_CARDS.map(modelListEntry) });
    }
    if (method === 'GET' && path === '/instance/previews') {
      const modelId = url.searchParams.get('model_id') ?? '';
      if (!cluster.card(modelId))
        return sendError(res, 404, 'Not Found', `Model card not found for ${modelId}`);
      return sendJson(res, 200, { previews: cluster.previews(modelId, url.searchParams.getAll('node_ids')) });
    }
    if (method === 'POST' && path === '/instance') {
      const body = await readBody(req);
      const refused = body
        ? cluster.createInstance(body.instance)
        : { status: 422, message: 'invalid JSON body' };
      if (refused)
        return sendError(
          res,
          refused.status,
          refused.status === 400 ? 'Bad Request' : 'Unprocessable Entity',
          refused.message,
        );
      exoLog('INFO', 'Received CreateInstance command');
      return sendJson(res, 200, {
        message: 'Command received.',
        command_id: crypto.randomUUID(),
        model_card: null,
      });
    }
    const instanceMatch = /^\/instance\/([^/]+)$/.exec(path);
    if (instanceMatch && instanceMatch[1] !== 'previews' && instanceMatch[1] !== 'placement') {
      const id = decodeURIComponent(instanceMatch[1]!);
      if (method === 'GET') {
        const instance = cluster.instances.get(id);
        return instance
          ? sendJson(res, 200, instance)
          : sendError(res, 404, 'Not Found', `Instance ${id} not found`);
      }
      if (method === 'DELETE') {
        if (!cluster.deleteInstance(id)) return sendError(res, 404, 'Not Found', `Instance ${id} not found`);
        return sendJson(res, 200, {
          message: 'Command received.',
          command_id: crypto.randomUUID(),
          instance_id: id,
        });
      }
    }
    if (method === 'POST' && (path === '/v1/chat/completions' || path === '/ollama/v1/chat/completions')) {
      const body = await readBody(req);
      if (!body) return sendError(res, 422, 'Unprocessable Entity', 'invalid JSON body');
      return chat.handle(req, res, body);
    }
    const cancelMatch = /^\/v1\/cancel\/([^/]+)$/.exec(path);
    if (method === 'POST' && cancelMatch) return chat.cancel(decodeURIComponent(cancelMatch[1]!), res);
    if (method === 'GET' && path === '/ollama/api/version') return sendJson(res, 200, { version: '1.0.0' });
    if (method === 'GET' && path === '/__double/generations')
      return sendJson(res, 200, [...chat.generations.values()]);
    if (method === 'GET' && path === '/__double/info') return sendJson(res, 200, parts.info());
    return sendError(res, 404, 'Not Found', 'Not Found');
  }

  return server;
}

/** The pre-rewrite exo's API, enough to be recognised and refused: /healthcheck and its model list. */
export function createLegacyApiServer(): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://exo').pathname;
    if (path === '/healthcheck') return sendJson(res, 200, { status: 'ok' });
    if (path === '/models' || path === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'llama-3.2-1b', object: 'model', owned_by: 'exo', ready: true }],
      });
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404: Not Found');
  });
}
