// The OpenAI-compatible routes of the local API: GET /v1/models and POST /v1/chat/completions (streamed as
// server-sent events or whole). Any OpenAI client pointed at the node spends its tokens on the region's nodes.
import { randomUUID } from 'node:crypto';
import type { ChatChunk, ChatToolCallDelta, ChatUsage } from '../../../../src-shared/protocol/chat.ts';
import { parseChatRequest } from '../../../../src-shared/protocol/chat-request-schema.ts';
import type { ChatGateway, GatewayTier } from '../../routing/chat-gateway.ts';
import type { ApiRequest, ApiResponse, ApiRoute } from '../http/api-server.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.ts';
import { errorBody, openAiError, routingErrorResponse } from './openai-errors.ts';

/** Fields of OpenAI's request the API handles itself (the rest go to the engine, validated). */
const API_FIELDS = ['model', 'stream', 'stream_options', 'n', 'user', 'store', 'metadata'];

export function openAiRoutes(gateway: ChatGateway): Map<string, ApiRoute> {
  return new Map<string, ApiRoute>([
    ['GET /v1/models', () => listModels(gateway)],
    ['POST /v1/chat/completions', (request) => chatCompletions(gateway, request)],
  ]);
}

function listModels(gateway: ChatGateway): ApiResponse {
  const created = Math.floor(Date.now() / 1000);
  return {
    status: 200,
    body: {
      object: 'list',
      data: gateway.models().map((model) => ({
        id: model.id,
        object: 'model',
        created,
        owned_by: 'opengateway',
        tier: model.tier,
        label: model.label,
        members: model.members,
        price: model.price,
      })),
    },
  };
}

async function chatCompletions(gateway: ChatGateway, request: ApiRequest): Promise<ApiResponse> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(request.body));
  } catch {
    value = undefined; // not UTF-8, not JSON, or nested past the parser's stack: all the same to the client
  }
  if (!isRecord(value))
    return openAiError(400, 'the body must be a JSON object', 'invalid_request_error', 'invalid_json');
  const body = value;
  if (nestsDeeperThan(body, MAX_JSON_DEPTH))
    return openAiError(
      400,
      `the body nests more than ${MAX_JSON_DEPTH} levels of objects and arrays`,
      'invalid_request_error',
      'invalid_json',
    );
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) {
    return openAiError(
      400,
      '"model" is required: a model from GET /v1/models, a tier name, or "auto"',
      'invalid_request_error',
      'missing_model',
    );
  }
  if (body.n !== undefined && body.n !== 1)
    return openAiError(400, 'only n = 1 is supported', 'invalid_request_error', null);
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    return openAiError(400, '"stream" must be true or false', 'invalid_request_error', null);
  }
  const parsed = parseChatRequest(body, API_FIELDS);
  if (!parsed.ok) return openAiError(400, parsed.error, 'invalid_request_error', null);

  let tier: GatewayTier;
  try {
    tier = gateway.resolve(model);
  } catch (error) {
    return fromRoutingError(error);
  }
  // Resolved once: the reply names (and the ledger prices) the tier that serves it.
  const chunks = gateway.chat(tier, parsed.request, { signal: request.signal });
  // Wait for the first chunk before answering: until then, a failure is an HTTP error a client understands.
  let first: IteratorResult<ChatChunk>;
  try {
    first = await chunks.next();
  } catch (error) {
    return fromRoutingError(error);
  }
  const reply = {
    id: `chatcmpl-${randomUUID()}`,
    created: Math.floor(Date.now() / 1000),
    model: tier.modelId,
  };
  if (body.stream === true) {
    const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
    return { status: 200, eventStream: sseEvents(reply, first, chunks, includeUsage) };
  }
  return collectCompletion(reply, first, chunks);
}

interface ReplyIds {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

async function* sseEvents(
  reply: ReplyIds,
  first: IteratorResult<ChatChunk>,
  rest: AsyncGenerator<ChatChunk>,
  includeUsage: boolean,
): AsyncGenerator<string> {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: reply.id,
      object: 'chat.completion.chunk',
      created: reply.created,
      model: reply.model,
      choices,
      ...extra,
    });
  let sentRole = false;
  let current = first;
  try {
    while (!current.done) {
      const item = current.value;
      if (item.type === 'delta') {
        const delta: Record<string, unknown> = sentRole ? {} : { role: 'assistant' };
        sentRole = true;
        if (item.content !== undefined) delta.content = item.content;
        if (item.reasoningContent !== undefined) delta.reasoning_content = item.reasoningContent;
        if (item.toolCalls) delta.tool_calls = item.toolCalls.map(toolCallDelta);
        yield chunk([{ index: 0, delta, finish_reason: null, logprobs: null }]);
      } else {
        yield chunk([
          {
            index: 0,
            delta: sentRole ? {} : { role: 'assistant' },
            finish_reason: item.finishReason ?? 'stop',
            logprobs: null,
          },
        ]);
        if (includeUsage) yield chunk([], { usage: usageBody(item.usage) });
        yield '[DONE]';
        return;
      }
      current = await rest.next();
    }
  } catch (error) {
    const failure = routingErrorResponse(error);
    yield JSON.stringify(failure?.body ?? errorBody('internal error', 'api_error', null));
  } finally {
    // The client left: stop the generation (and free the worker's slot).
    await rest.return(undefined);
  }
}

async function collectCompletion(
  reply: ReplyIds,
  first: IteratorResult<ChatChunk>,
  rest: AsyncGenerator<ChatChunk>,
): Promise<ApiResponse> {
  let content = '';
  let reasoning = '';
  const toolCalls = new Map<
    number,
    { id: string; type: 'function'; function: { name: string; arguments: string } }
  >();
  try {
    for (let current = first; !current.done; current = await rest.next()) {
      const item = current.value;
      if (item.type === 'delta') {
        content += item.content ?? '';
        reasoning += item.reasoningContent ?? '';
        for (const call of item.toolCalls ?? []) {
          const entry = toolCalls.get(call.index) ?? {
            id: '',
            type: 'function' as const,
            function: { name: '', arguments: '' },
          };
          if (call.id) entry.id = call.id;
          if (call.name) entry.function.name += call.name;
          if (call.arguments) entry.function.arguments += call.arguments;
          toolCalls.set(call.index, entry);
        }
        continue;
      }
      const message: Record<string, unknown> = {
        role: 'assistant',
        content: content === '' && toolCalls.size > 0 ? null : content,
      };
      if (reasoning !== '') message.reasoning_content = reasoning;
      if (toolCalls.size > 0)
        message.tool_calls = [...toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
      return {
        status: 200,
        body: {
          id: reply.id,
          object: 'chat.completion',
          created: reply.created,
          model: reply.model,
          choices: [{ index: 0, message, finish_reason: item.finishReason ?? 'stop', logprobs: null }],
          usage: usageBody(item.usage),
        },
      };
    }
    return openAiError(502, 'the worker ended the reply without usage', 'server_error', 'no_worker_answered');
  } catch (error) {
    return fromRoutingError(error);
  }
}

function toolCallDelta(call: ChatToolCallDelta): Record<string, unknown> {
  const out: Record<string, unknown> = { index: call.index };
  if (call.id !== undefined) {
    out.id = call.id;
    out.type = 'function';
  }
  const fn: Record<string, string> = {};
  if (call.name !== undefined) fn.name = call.name;
  if (call.arguments !== undefined) fn.arguments = call.arguments;
  if (Object.keys(fn).length > 0) out.function = fn;
  return out;
}

function usageBody(usage: ChatUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    ...(usage.cachedPromptTokens !== undefined
      ? { prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens } }
      : {}),
  };
}

function fromRoutingError(error: unknown): ApiResponse {
  const failure = routingErrorResponse(error);
  if (failure) return failure;
  throw error;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
