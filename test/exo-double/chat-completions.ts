// POST /v1/chat/completions and POST /v1/cancel/{id} as EXO's API serves them (ref/exo-integration.md §2.6):
// snake_case chunks with object "chat.completion", a bare UUID id, usage only on the last data chunk, then
// a `: generation_stats` comment and `data: [DONE]`. Faults (crash, malformed SSE) are injected here.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as yieldNow, setTimeout as sleep } from 'node:timers/promises';
import type { DoubleOptions } from './double-options.ts';
import { exoLog } from './exo-log.ts';
import { promptSeed, promptTokenCount, tokenAt } from './generated-text.ts';
import type { SimulatedCluster } from './simulated-cluster.ts';

/** A generation as the double's debug endpoint reports it (not part of EXO's API). */
export interface GenerationRecord {
  readonly commandId: string;
  readonly ordinal: number;
  tokensSent: number;
  status: 'waiting' | 'running' | 'finished' | 'cancelled' | 'failed';
  cancelledBy: 'api' | 'disconnect' | null;
}

export interface ChatFaults {
  /** Whether request faults apply to the request with this ordinal (1-based, per process). */
  readonly appliesTo: (ordinal: number) => boolean;
}

type Json = Record<string, unknown>;

export function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ error: { message, type, param: null, code: status } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export class ChatCompletions {
  readonly generations = new Map<string, GenerationRecord>();
  readonly #cluster: SimulatedCluster;
  readonly #options: DoubleOptions;
  readonly #faults: ChatFaults;
  #requests = 0;

  constructor(cluster: SimulatedCluster, options: DoubleOptions, faults: ChatFaults) {
    this.#cluster = cluster;
    this.#options = options;
    this.#faults = faults;
  }

  /** POST /v1/cancel/{command_id}. */
  cancel(commandId: string, res: ServerResponse): void {
    const generation = this.generations.get(commandId);
    if (!generation || (generation.status !== 'running' && generation.status !== 'waiting')) {
      sendError(res, 404, 'Not Found', `No running generation with command id ${commandId}`);
      return;
    }
    generation.status = 'cancelled';
    generation.cancelledBy = 'api';
    exoLog('INFO', `Cancelling task for command ${commandId} after ${generation.tokensSent} tokens`);
    const body = JSON.stringify({ message: 'Command received.', command_id: commandId });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  }

  async handle(req: IncomingMessage, res: ServerResponse, body: Json): Promise<void> {
    const model = body.model;
    const messages = body.messages;
    if (typeof model !== 'string' || !Array.isArray(messages)) {
      sendError(res, 422, 'Unprocessable Entity', 'model and messages are required');
      return;
    }
    const found = this.#cluster.instanceFor(model);
    if (!found) {
      sendError(res, 404, 'Not Found', `No instance found for model ${model}`);
      return;
    }
    const [instanceId] = found;
    const ordinal = (this.#requests += 1);
    const faulty = this.#faults.appliesTo(ordinal);
    const commandId = randomUUID();
    const record: GenerationRecord = {
      commandId,
      ordinal,
      tokensSent: 0,
      status: 'waiting',
      cancelledBy: null,
    };
    this.generations.set(commandId, record);
    const texts = messages.map((message: unknown) => contentText((message as Json | null)?.content));
    const promptTokens = promptTokenCount(texts);
    const seed = promptSeed(texts.join('\n'));
    const maxTokens = typeof body.max_tokens === 'number' ? Math.floor(body.max_tokens) : null;
    // With max_tokens the answer runs to the limit ("length"); without, it ends by itself ("stop").
    const total = maxTokens ?? this.#options.defaultTokens;
    const finishReason = maxTokens !== null ? 'length' : 'stop';
    const created = Math.floor(Date.now() / 1000);
    const usage = (completion: number) => ({
      prompt_tokens: promptTokens,
      completion_tokens: completion,
      total_tokens: promptTokens + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
    res.on('close', () => {
      if (record.status === 'running' || record.status === 'waiting') {
        record.status = 'cancelled';
        record.cancelledBy = 'disconnect';
        exoLog('INFO', `Client disconnected; TaskCancelled for command ${commandId}`);
      }
    });
    const stream = body.stream === true;
    if (stream) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'close',
      });
      res.write(': keep-alive\n\n');
    }
    // A request for a model whose runners are not ready yet waits (EXO queues it as Pending).
    let lastKeepAlive = Date.now();
    while (!this.#cluster.isReady(instanceId)) {
      if (!this.#cluster.instances.has(instanceId) || record.status === 'cancelled') {
        record.status = record.status === 'cancelled' ? 'cancelled' : 'failed';
        if (stream)
          this.#end(
            res,
            `data: ${JSON.stringify({ error: { message: 'Instance was deleted', type: 'InternalServerError', code: 500 } })}\n\ndata: [DONE]\n\n`,
          );
        else sendError(res, 500, 'Internal Server Error', 'Instance was deleted');
        return;
      }
      if (stream && Date.now() - lastKeepAlive >= this.#options.keepAliveMs) {
        res.write(': keep-alive\n\n');
        lastKeepAlive = Date.now();
      }
      await sleep(20);
    }
    record.status = 'running';
    // The status changes under us (cancel, disconnect): always read it fresh.
    const cancelled = () => isCancelled(record);
    const taskId = randomUUID();
    this.#cluster.tasks.set(taskId, {
      TextGeneration: {
        taskId,
        taskStatus: 'Running',
        instanceId,
        commandId,
        taskParams: { model, max_tokens: maxTokens, stream, messages },
        errorType: null,
        errorMessage: null,
      },
    });
    this.#cluster.setRunning(instanceId, true);
    exoLog('INFO', `Chat completion ${commandId} for ${model} (${promptTokens} prompt tokens)`);
    const started = Date.now();
    try {
      if (!stream) {
        const text = Array.from({ length: total }, (_, index) => tokenAt(seed, index)).join('');
        record.tokensSent = total;
        record.status = 'finished';
        const json = JSON.stringify({
          id: commandId,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason }],
          usage: usage(total),
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(json);
        return;
      }
      res.write(
        `: prefill_progress ${JSON.stringify({ PrefillProgressChunk: { model, processed_tokens: promptTokens, total_tokens: promptTokens } })}\n\n`,
      );
      const chunk = (content: string, last: boolean, completion: number) =>
        `data: ${JSON.stringify({
          id: commandId,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              delta: { role: 'assistant', content },
              ...(last ? { finish_reason: finishReason } : {}),
            },
          ],
          ...(last ? { usage: usage(completion) } : {}),
        })}\n\n`;
      for (let index = 0; index < total; index += 1) {
        if (cancelled() || res.destroyed) break;
        await this.#pace(started, index);
        if (cancelled() || res.destroyed) break;
        if (faulty && this.#options.crashAfterTokens !== null && index >= this.#options.crashAfterTokens) {
          crash(`generation ${commandId} after ${index} tokens`);
        }
        if (faulty && this.#options.malformedSse !== null && index === this.#options.malformedAfterTokens) {
          if (await this.#malformed(res, commandId)) return;
        }
        if (!res.write(chunk(tokenAt(seed, index), index === total - 1, index + 1))) await once(res, 'drain');
        record.tokensSent = index + 1;
      }
      if (res.destroyed) return;
      if (cancelled()) {
        // Cancelled through the API: the stream closes with what was generated so far.
        res.write(
          `data: ${JSON.stringify({ id: commandId, object: 'chat.completion', created, model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'stop' }], usage: usage(record.tokensSent) })}\n\n`,
        );
      } else {
        record.status = 'finished';
      }
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const stats = {
        prompt_tps: promptTokens / 0.01,
        generation_tps: record.tokensSent / seconds,
        prompt_tokens: promptTokens,
        generation_tokens: record.tokensSent,
        peak_memory_usage: { in_bytes: 1_073_741_824 },
        prefix_cache_hit: 'none',
      };
      this.#end(res, `: generation_stats ${JSON.stringify(stats)}\n\ndata: [DONE]\n\n`);
    } finally {
      this.#cluster.tasks.delete(taskId);
      this.#cluster.setRunning(instanceId, false);
    }
  }

  /** Waits until token `index` is due at the configured rate; at rate 0 only yields now and then. */
  async #pace(started: number, index: number): Promise<void> {
    const rate = this.#options.tokenRate;
    if (rate <= 0) {
      if (index % 64 === 63) await yieldNow();
      return;
    }
    const due = started + (index * 1000) / rate;
    const wait = due - Date.now();
    if (wait >= 1) await sleep(wait);
    else if (index % 64 === 63) await yieldNow();
  }

  /** Writes the configured garbage. Returns true when the response is over. */
  async #malformed(res: ServerResponse, commandId: string): Promise<boolean> {
    switch (this.#options.malformedSse) {
      case 'json':
        res.write(
          `data: {"id":"${commandId}","object":"chat.completion","choices":[{"index":0,"delta":{"content":\n\n`,
        );
        return false;
      case 'bad-utf8':
        res.write(
          Buffer.concat([
            Buffer.from('data: {"id":"'),
            Buffer.from([0xff, 0xfe, 0xfd]),
            Buffer.from('"}\n\n'),
          ]),
        );
        return false;
      case 'huge-line': {
        res.write('data: ');
        const piece = 'x'.repeat(64 * 1024);
        for (let sent = 0; sent < 4 * 1024 * 1024 && !res.destroyed; sent += piece.length) {
          if (!res.write(piece)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        }
        if (!res.destroyed) res.write('\n\n');
        return res.destroyed;
      }
      case 'no-done':
        res.end();
        return true;
      case null:
        return false;
    }
  }

  #end(res: ServerResponse, tail: string): void {
    if (!res.destroyed) res.end(tail);
  }
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => ((part as Json | null)?.type === 'text' ? String((part as Json).text) : ''))
      .join(' ');
  }
  return '';
}

/** Dies the way EXO does on an unhandled exception: a CRITICAL line, a traceback, exit code 1. */
export function crash(where: string): never {
  exoLog('ERROR', `Unhandled exception in ${where}`);
  process.stderr.write('Traceback (most recent call last):\n');
  process.stderr.write('  File "/exo/src/exo/worker/runner/runner.py", line 212, in _generate\n');
  process.stderr.write('RuntimeError: [METAL] Command buffer execution failed: Insufficient Memory\n');
  exoLog('CRITICAL', 'EXO terminated due to unhandled exception');
  process.exit(1);
}

function isCancelled(record: GenerationRecord): boolean {
  return record.status === 'cancelled';
}
