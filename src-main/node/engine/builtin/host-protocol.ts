// The messages between the node (the built-in engine) and its llama.cpp host process, and their strict
// decoders. Both directions are size-limited (host-frames.ts); anything that does not decode ends the
// channel: the node then restarts the host, the host exits.

/** The largest command the node sends (a chat with a long history). */
export const MAX_COMMAND_BYTES = 8 * 1024 * 1024;
/** The largest event the host sends (a delta is a token or two; an error a line). */
export const MAX_EVENT_BYTES = 64 * 1024;
/** Longest text field in an event. */
const MAX_EVENT_TEXT = 16 * 1024;
/** Request ids are small positive integers the node hands out. */
const MAX_ID = 2 ** 31;

export type HostGpu = false | 'auto';
export type HostBackend = 'cpu' | 'metal' | 'cuda' | 'vulkan';

/** The node → host commands. */
export type HostCommand =
  | {
      readonly t: 'load';
      readonly modelPath: string;
      readonly contextSize: number;
      readonly threads: number;
      readonly gpu: HostGpu;
      /** Layers offloaded to the GPU: 'auto' fits them to the GPU memory share. */
      readonly gpuLayers: number | 'auto';
      /** Share of GPU memory llama.cpp may use (0…1]. */
      readonly gpuShare: number;
      /** Requests served at once (context sequences); more wait in the host's queue. */
      readonly sequences: number;
    }
  | {
      readonly t: 'chat';
      readonly id: number;
      readonly messages: readonly HostMessage[];
      readonly maxTokens: number;
      readonly temperature?: number;
      readonly topP?: number;
      readonly seed?: number;
      readonly stop?: readonly string[];
    }
  | { readonly t: 'cancel'; readonly id: number };

export interface HostMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly text: string;
}

/** The host → node events. */
export type HostEvent =
  | { readonly t: 'progress'; readonly progress: number }
  | {
      readonly t: 'ready';
      readonly backend: HostBackend;
      readonly gpuLayers: number;
      readonly contextSize: number;
      readonly threads: number;
    }
  | { readonly t: 'load-failed'; readonly message: string }
  | { readonly t: 'delta'; readonly id: number; readonly text: string }
  | {
      readonly t: 'done';
      readonly id: number;
      readonly promptTokens: number;
      readonly completionTokens: number;
      readonly finishReason: 'stop' | 'length';
    }
  | { readonly t: 'error'; readonly id: number; readonly message: string };

/** A message that is not the protocol. */
export class HostProtocolError extends Error {
  override readonly name = 'HostProtocolError';
}

type Fields = Record<string, unknown>;

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HostProtocolError(`${what} is not an object`);
  }
  return value as Fields;
}

function only(fields: Fields, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) throw new HostProtocolError(`${what} has an unknown field "${key}"`);
  }
}

function int(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new HostProtocolError(`${what} must be an integer in ${min}…${max}`);
  }
  return value;
}

function num(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new HostProtocolError(`${what} must be a number in ${min}…${max}`);
  }
  return value;
}

function text(value: unknown, what: string, maxChars: number): string {
  if (typeof value !== 'string' || value.length > maxChars) {
    throw new HostProtocolError(`${what} must be a string of at most ${maxChars} characters`);
  }
  return value;
}

function parse(body: string, what: string): Fields {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new HostProtocolError(`${what} is not JSON`);
  }
  return record(value, what);
}

/** Decodes an event from the host (the node's side). */
export function decodeHostEvent(body: string): HostEvent {
  const m = parse(body, 'the host event');
  switch (m.t) {
    case 'progress':
      only(m, ['t', 'progress'], 'progress');
      return { t: 'progress', progress: num(m.progress, 'progress', 0, 1) };
    case 'ready': {
      only(m, ['t', 'backend', 'gpuLayers', 'contextSize', 'threads'], 'ready');
      const backend = m.backend;
      if (backend !== 'cpu' && backend !== 'metal' && backend !== 'cuda' && backend !== 'vulkan') {
        throw new HostProtocolError('ready.backend is not a known backend');
      }
      return {
        t: 'ready',
        backend,
        gpuLayers: int(m.gpuLayers, 'ready.gpuLayers', 0, 100_000),
        contextSize: int(m.contextSize, 'ready.contextSize', 1, 10_000_000),
        threads: int(m.threads, 'ready.threads', 0, 4096),
      };
    }
    case 'load-failed':
      only(m, ['t', 'message'], 'load-failed');
      return { t: 'load-failed', message: text(m.message, 'load-failed.message', MAX_EVENT_TEXT) };
    case 'delta':
      only(m, ['t', 'id', 'text'], 'delta');
      return {
        t: 'delta',
        id: int(m.id, 'delta.id', 1, MAX_ID),
        text: text(m.text, 'delta.text', MAX_EVENT_TEXT),
      };
    case 'done': {
      only(m, ['t', 'id', 'promptTokens', 'completionTokens', 'finishReason'], 'done');
      const finishReason = m.finishReason;
      if (finishReason !== 'stop' && finishReason !== 'length') {
        throw new HostProtocolError('done.finishReason must be stop or length');
      }
      return {
        t: 'done',
        id: int(m.id, 'done.id', 1, MAX_ID),
        promptTokens: int(m.promptTokens, 'done.promptTokens', 0, 100_000_000),
        completionTokens: int(m.completionTokens, 'done.completionTokens', 0, 100_000_000),
        finishReason,
      };
    }
    case 'error':
      only(m, ['t', 'id', 'message'], 'error');
      return {
        t: 'error',
        id: int(m.id, 'error.id', 1, MAX_ID),
        message: text(m.message, 'error.message', MAX_EVENT_TEXT),
      };
    default:
      throw new HostProtocolError('the host event has an unknown type');
  }
}

/** Decodes a command from the node (the host's side). */
export function decodeHostCommand(body: string): HostCommand {
  const m = parse(body, 'the command');
  switch (m.t) {
    case 'load': {
      only(
        m,
        ['t', 'modelPath', 'contextSize', 'threads', 'gpu', 'gpuLayers', 'gpuShare', 'sequences'],
        'load',
      );
      if (m.gpu !== false && m.gpu !== 'auto') throw new HostProtocolError('load.gpu must be false or auto');
      return {
        t: 'load',
        modelPath: text(m.modelPath, 'load.modelPath', 4096),
        contextSize: int(m.contextSize, 'load.contextSize', 16, 10_000_000),
        threads: int(m.threads, 'load.threads', 1, 4096),
        gpu: m.gpu,
        gpuLayers: m.gpuLayers === 'auto' ? 'auto' : int(m.gpuLayers, 'load.gpuLayers', 0, 100_000),
        gpuShare: num(m.gpuShare, 'load.gpuShare', 0, 1),
        sequences: int(m.sequences, 'load.sequences', 1, 64),
      };
    }
    case 'chat': {
      only(m, ['t', 'id', 'messages', 'maxTokens', 'temperature', 'topP', 'seed', 'stop'], 'chat');
      if (!Array.isArray(m.messages) || m.messages.length === 0 || m.messages.length > 10_000) {
        throw new HostProtocolError('chat.messages must be a non-empty list');
      }
      const messages = m.messages.map((value: unknown): HostMessage => {
        const message = record(value, 'a chat message');
        only(message, ['role', 'text'], 'a chat message');
        const role = message.role;
        if (role !== 'system' && role !== 'user' && role !== 'assistant') {
          throw new HostProtocolError('a chat message has an unknown role');
        }
        return { role, text: text(message.text, 'a chat message', MAX_COMMAND_BYTES) };
      });
      let stop: string[] | undefined;
      if (m.stop !== undefined) {
        if (!Array.isArray(m.stop) || m.stop.length > 16)
          throw new HostProtocolError('chat.stop must be a short list');
        stop = m.stop.map((value: unknown) => text(value, 'a stop sequence', 1024));
      }
      return {
        t: 'chat',
        id: int(m.id, 'chat.id', 1, MAX_ID),
        messages,
        maxTokens: int(m.maxTokens, 'chat.maxTokens', 1, 10_000_000),
        ...(m.temperature === undefined ? {} : { temperature: num(m.temperature, 'chat.temperature', 0, 2) }),
        ...(m.topP === undefined ? {} : { topP: num(m.topP, 'chat.topP', 0, 1) }),
        ...(m.seed === undefined ? {} : { seed: int(m.seed, 'chat.seed', -(2 ** 53), 2 ** 53) }),
        ...(stop === undefined ? {} : { stop }),
      };
    }
    case 'cancel':
      only(m, ['t', 'id'], 'cancel');
      return { t: 'cancel', id: int(m.id, 'cancel.id', 1, MAX_ID) };
    default:
      throw new HostProtocolError('the command has an unknown type');
  }
}
