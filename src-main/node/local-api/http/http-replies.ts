// Reading request bodies and writing replies for the local API: bounded bodies, JSON replies in OpenAI's
// error shape, and server-sent event streams with backpressure. A client that goes away mid-body or
// mid-stream is a normal event here, never an exception that escapes (security finding 3).
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The body was larger than allowed (the rest was not read). */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** The client went away (or its connection failed) before the whole body arrived. */
export class BodyIncompleteError extends Error {
  override readonly name = 'BodyIncompleteError';
}

/** Reads at most `limit` bytes; rejects with BodyTooLargeError or BodyIncompleteError, nothing else. */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (outcome: Uint8Array | Error): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) {
        finish(new BodyTooLargeError(`body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(Buffer.concat(chunks));
    const onError = (): void => finish(new BodyIncompleteError('the client went away before the body ended'));
    const onClose = (): void => {
      if (!req.complete) onError();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** OpenAI's error shape, so OpenAI clients show our messages. */
export function errorBody(message: string, type: string): { error: { message: string; type: string } } {
  return { error: { message, type } };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

/** Streams server-sent events with backpressure; stops (and ends the source) when the client goes away. */
export async function sendEventStream(
  res: ServerResponse,
  status: number,
  events: AsyncIterable<string>,
  signal: AbortSignal,
): Promise<void> {
  res.writeHead(status, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  for await (const data of events) {
    if (signal.aborted || res.destroyed) break;
    if (!res.write(`data: ${data}\n\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end();
}
