// One streamed chat request as an OpenAI client sends it (POST /v1/chat/completions, stream: true), over the
// requester node's API socket, and how it ended from the client's side: completed, failed with a clear
// error (an HTTP error or an SSE error event, before or after the first token), cut without any error, or
// hung (no end within the client's patience).
import { request } from 'node:http';

export type ChatOutcome =
  | { readonly kind: 'completed'; readonly tokens: number; readonly ms: number }
  | {
      readonly kind: 'failed-clearly';
      readonly beforeFirstToken: boolean;
      readonly status: number;
      readonly message: string;
      readonly ms: number;
    }
  /** The stream ended without [DONE] and without an error: the client cannot tell what happened. */
  | { readonly kind: 'cut'; readonly tokens: number; readonly ms: number }
  | { readonly kind: 'hung'; readonly tokens: number; readonly ms: number };

export interface ChatTarget {
  readonly socketPath: string;
  readonly key: string;
}

/**
 * Sends one chat and resolves with its outcome; never rejects. `hangMs` is the client's patience: the whole
 * request, first byte to last. The socket failing before an answer counts as a clear failure (connection
 * refused is a clear error to a client; the requester node is never killed by the run).
 */
export function chatOnce(
  target: ChatTarget,
  body: Record<string, unknown>,
  hangMs: number,
): Promise<ChatOutcome> {
  const started = Date.now();
  const ms = () => Date.now() - started;
  return new Promise((finish) => {
    let done = false;
    let tokens = 0;
    const end = (outcome: ChatOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      finish(outcome);
    };
    const timer = setTimeout(() => end({ kind: 'hung', tokens, ms: ms() }), hangMs);
    const payload = JSON.stringify({ ...body, stream: true });
    const req = request(
      {
        socketPath: target.socketPath,
        path: '/v1/chat/completions',
        method: 'POST',
        headers: {
          authorization: `Bearer ${target.key}`,
          host: '127.0.0.1:8080',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        response.setEncoding('utf8');
        let text = '';
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            end({
              kind: 'failed-clearly',
              beforeFirstToken: true,
              status,
              message: errorMessage(text),
              ms: ms(),
            }),
          );
          response.on('error', () => end({ kind: 'cut', tokens, ms: ms() }));
          return;
        }
        let buffer = '';
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = event
              .split('\n')
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).trim())
              .join('\n');
            if (data === '[DONE]') return end({ kind: 'completed', tokens, ms: ms() });
            if (data === '') continue;
            let parsed: { error?: { message?: string }; choices?: { delta?: { content?: string } }[] };
            try {
              parsed = JSON.parse(data) as typeof parsed;
            } catch {
              continue;
            }
            if (parsed.error) {
              return end({
                kind: 'failed-clearly',
                beforeFirstToken: tokens === 0,
                status,
                message: String(parsed.error.message ?? 'error'),
                ms: ms(),
              });
            }
            if (parsed.choices?.[0]?.delta?.content) tokens += 1;
          }
        });
        response.on('end', () => end({ kind: 'cut', tokens, ms: ms() }));
        response.on('error', () => end({ kind: 'cut', tokens, ms: ms() }));
      },
    );
    req.on('error', (error) =>
      end({
        kind: 'failed-clearly',
        beforeFirstToken: tokens === 0,
        status: 0,
        message: error.message,
        ms: ms(),
      }),
    );
    req.end(payload);
  });
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    return String(parsed.error?.message ?? text.slice(0, 200));
  } catch {
    return text.slice(0, 200);
  }
}
