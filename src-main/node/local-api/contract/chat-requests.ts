// The chat panel's requests in flight: each runs through the node's ChatGateway and its progress goes out
// as `chat` notifications (queued, started, deltas, then done or failed). Cancelling aborts the route, which
// reaches the worker's engine.
import {
  MICRO_PER_TOKEN_NUMBER,
  type ChatEvent,
  type ChatFailure,
  type ChatSendInput,
} from '../../../../src-shared/ipc/index.ts';
import type { ChatRequest, ChatUsage } from '../../../../src-shared/protocol/chat.ts';
import { promptTokenCount } from '../../../../src-shared/protocol/prompt-token-count.ts';
import type { ChatGateway, GatewayTier } from '../../routing/chat-gateway.ts';
import {
  NoLiveMemberError,
  NoWorkerAnsweredError,
  PartialResponseError,
  QueueFullError,
  QueueTimeoutError,
  UnknownModelError,
} from '../../routing/errors.ts';
import { ExpectedError } from '../../../../src-shared/errors/expected-error.ts';
import { InsufficientBalanceError } from '../../ledger/errors.ts';
import {
  ChatNotReadyError,
  DuplicateChatError,
  ReplyWithoutUsageError,
  TooManyChatsError,
} from './errors.ts';
import { shortPeerId } from './node-views.ts';

export interface ChatRequestsComponents {
  /** Null while the node's routing has not started. */
  readonly gateway: () => ChatGateway | null;
  readonly publish: (event: ChatEvent) => void;
  /** This node's peer id: a request its own worker answers costs nothing. */
  readonly selfPeerId: () => string | null;
  /** A failure that is a bug, not the network: logged with context. */
  readonly onInternalError: (error: unknown, what: string) => void;
}

/** At most this many replies stream at once from one node's chat panel(s). */
export const MAX_CHATS_IN_FLIGHT = 8;
const MAX_DELTA_CHARS = 64_000;

/**
 * The contract's cost in µT, as the ledger charges it: the tier's price (whole tokens per 1,000 work units,
 * so µT per unit = price × 1,000) × work units (prompt + completion tokens). Exact: nothing is rounded.
 */
export function chatCost(pricePer1k: number, promptTokens: number, completionTokens: number): number {
  const microPerUnit = Math.round((pricePer1k * MICRO_PER_TOKEN_NUMBER) / 1000);
  return microPerUnit * (promptTokens + completionTokens);
}

export class ChatRequests {
  readonly #components: ChatRequestsComponents;
  readonly #running = new Map<string, AbortController>();

  constructor(components: ChatRequestsComponents) {
    this.#components = components;
  }

  /** Starts the request; its reply arrives as notifications. Throws an ExpectedError when it cannot start. */
  start(input: ChatSendInput, callerGone?: AbortSignal): void {
    const gateway = this.#components.gateway();
    if (gateway === null) throw new ChatNotReadyError('The node is still starting; try again in a moment.');
    if (this.#running.has(input.requestId))
      throw new DuplicateChatError('A request with this id is already running.');
    if (this.#running.size >= MAX_CHATS_IN_FLIGHT)
      throw new TooManyChatsError(`At most ${MAX_CHATS_IN_FLIGHT} replies can stream at once.`);
    const tier = gateway.resolve(input.model);
    const controller = new AbortController();
    this.#running.set(input.requestId, controller);
    // A UI that goes away cannot read its reply: stop spending on it.
    const onGone = () => controller.abort(new Error('the chat panel disconnected'));
    callerGone?.addEventListener('abort', onGone, { once: true });
    void this.#run(gateway, input, tier, controller.signal)
      // #run reports the network's failures itself; what reaches here is a bug in reporting them.
      .catch((error: unknown) => this.#components.onInternalError(error, `chat ${input.requestId}`))
      .finally(() => {
        callerGone?.removeEventListener('abort', onGone);
        this.#running.delete(input.requestId);
      });
  }

  /** Stops a running request; false when there is none with that id (it ended already). */
  cancel(requestId: string): boolean {
    const controller = this.#running.get(requestId);
    if (controller === undefined) return false;
    controller.abort(new Error('cancelled by the user'));
    return true;
  }

  /** Stops every request (the node is stopping). */
  cancelAll(): void {
    for (const controller of this.#running.values()) controller.abort(new Error('the node is stopping'));
  }

  async #run(
    gateway: ChatGateway,
    input: ChatSendInput,
    tier: GatewayTier,
    signal: AbortSignal,
  ): Promise<void> {
    const { requestId } = input;
    const publish = this.#components.publish;
    let usage: ChatUsage | null = null;
    let routedTo: string | null = null;
    try {
      // The tier resolved once, in start(): the price below is the price of the tier that serves.
      const request: ChatRequest = {
        messages: input.messages.map(({ role, content }) => ({ role, content })),
        max_tokens: input.maxTokens,
      };
      const chunks = gateway.chat(tier, request, {
        signal,
        onQueuePosition: (position) => {
          if (position >= 1) publish({ type: 'queued', requestId, position: Math.min(position, 1_000_000) });
        },
        onRouted: (peerId) => {
          routedTo = peerId;
          publish({ type: 'started', requestId, worker: shortPeerId(peerId) });
        },
      });
      for await (const chunk of chunks) {
        if (signal.aborted) break;
        if (chunk.type === 'usage') {
          usage = chunk.usage;
          continue;
        }
        const text = chunk.content ?? '';
        for (let at = 0; at < text.length; at += MAX_DELTA_CHARS)
          publish({ type: 'delta', requestId, text: text.slice(at, at + MAX_DELTA_CHARS) });
      }
      if (signal.aborted) return publish(cancelled(requestId));
      if (usage === null) throw new ReplyWithoutUsageError('the reply ended without usage');
      // The routing layer never pays this node's own worker: such a reply is free, and the balance stays.
      const free = routedTo !== null && routedTo === this.#components.selfPeerId();
      // A paid prompt is billed at most at the network's count of it (security finding 16).
      const promptTokens = free
        ? usage.promptTokens
        : Math.min(usage.promptTokens, promptTokenCount(request));
      publish({
        type: 'done',
        requestId,
        cost: free ? 0 : chatCost(tier.price, promptTokens, usage.completionTokens),
        promptTokens,
        completionTokens: usage.completionTokens,
      });
    } catch (error) {
      if (signal.aborted) return publish(cancelled(requestId));
      const reason = failureOf(error);
      if (reason === null) this.#components.onInternalError(error, `chat ${requestId}`);
      publish({
        type: 'failed',
        requestId,
        reason: reason ?? 'worker-failed',
        message:
          reason === null || !(error instanceof Error)
            ? 'The reply failed because of a problem inside OpenGateway. It has been logged.'
            : sentence(error.message),
        // A partial reply is paid for what arrived (the ledger settles it alone); the routing layer does not
        // report that amount, so 0 here, and the balance notification that follows shows what was paid.
        cost: 0,
      });
    }
  }
}

function cancelled(requestId: string): ChatEvent {
  return { type: 'failed', requestId, reason: 'cancelled', message: 'You stopped this reply.', cost: 0 };
}

/** Which of the contract's reasons an error of the network is; null for a bug. */
function failureOf(error: unknown): ChatFailure | null {
  if (error instanceof NoLiveMemberError || error instanceof QueueFullError) return 'no-capacity';
  if (error instanceof QueueTimeoutError) return 'queue-timeout';
  if (error instanceof NoWorkerAnsweredError || error instanceof PartialResponseError) return 'worker-failed';
  if (error instanceof UnknownModelError) return 'invalid-request';
  if (error instanceof InsufficientBalanceError) return 'low-balance';
  // Any other expected error of the network (a refusal it explained) is the worker's failure to answer.
  if (error instanceof ExpectedError) return 'worker-failed';
  return null;
}

/** Routing messages are lower-case fragments; the chat panel shows sentences. */
function sentence(message: string): string {
  const trimmed = message.trim().slice(0, 498);
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
