// The llama.cpp host: a child process of the node that loads one model with node-llama-cpp and runs chats for
// it. It exists so that a native abort inside llama.cpp kills only this process, never the node
// (ref/real-engine.md, "Isolation"). It talks to the node in size-limited frames (host-frames.ts) over fd 3,
// or over process.parentPort when the desktop app started it as an Electron utility process (host-channel.ts);
// stdout and stderr are its log. It exits when the node closes the channel.
import {
  getLlama,
  LlamaChatSession,
  LlamaLogLevel,
  resolveChatWrapper,
  type ChatWrapper,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from 'node-llama-cpp';
import { openNodeChannel, parentPortOf } from './host-channel.ts';
import { encodeFrame, FrameReader } from './host-frames.ts';
import { installWorkerFork } from './worker-fork.ts';
import {
  decodeHostCommand,
  MAX_COMMAND_BYTES,
  MAX_EVENT_BYTES,
  type HostCommand,
  type HostEvent,
  type HostMessage,
} from './host-protocol.ts';

/** Deltas and error texts are cut to this many characters per event, well inside the event size limit. */
const MAX_PIECE_CHARS = 4096;
/** Chats waiting for a free sequence beyond this are refused. */
const MAX_QUEUED_CHATS = 256;

type ChatCommand = Extract<HostCommand, { t: 'chat' }>;

// A utility process cannot fork (the packaged app's RunAsNode fuse is off); node-llama-cpp's binary test forks.
if (parentPortOf(process) !== null) installWorkerFork();
const channel = openNodeChannel();
const reader = new FrameReader(MAX_COMMAND_BYTES);
let llama: Llama | null = null;
let model: LlamaModel | null = null;
let context: LlamaContext | null = null;
// Resolved once: resolving it per session renders the model's Jinja template several times (~0.5 s).
let chatWrapper: ChatWrapper | null = null;
const freeSequences: LlamaContextSequence[] = [];
const waiting: ChatCommand[] = [];
const running = new Map<number, AbortController>();

function send(event: HostEvent): void {
  channel.write(encodeFrame(event, MAX_EVENT_BYTES));
}

function quit(code: number, why: string): never {
  process.stderr.write(`llama host: ${why}\n`);
  process.exit(code);
}

channel.on('data', (chunk: Buffer) => {
  let bodies: string[];
  try {
    bodies = reader.push(chunk);
  } catch (error) {
    quit(3, `unreadable command: ${(error as Error).message}`);
  }
  for (const body of bodies) {
    let command: HostCommand;
    try {
      command = decodeHostCommand(body);
    } catch (error) {
      quit(3, `invalid command: ${(error as Error).message}`);
    }
    handle(command);
  }
});
// The node is gone (or hung up on us): nothing is left to serve.
channel.on('end', () => quit(0, 'the node closed the channel'));
channel.on('error', (error) => quit(0, `the channel failed: ${error.message}`));

function handle(command: HostCommand): void {
  switch (command.t) {
    case 'load':
      if (llama !== null) quit(3, 'a second load command');
      load(command).catch((error: unknown) => {
        send({ t: 'load-failed', message: cut(error instanceof Error ? error.message : String(error)) });
      });
      return;
    case 'chat':
      if (context === null) {
        send({ t: 'error', id: command.id, message: 'the model is not loaded yet' });
      } else if (running.has(command.id) || waiting.some((queued) => queued.id === command.id)) {
        send({ t: 'error', id: command.id, message: 'a request with this id is already running' });
      } else if (waiting.length >= MAX_QUEUED_CHATS) {
        send({ t: 'error', id: command.id, message: 'too many requests are waiting' });
      } else {
        waiting.push(command);
        pump();
      }
      return;
    case 'cancel': {
      const index = waiting.findIndex((queued) => queued.id === command.id);
      if (index !== -1) {
        waiting.splice(index, 1);
        send({ t: 'error', id: command.id, message: 'cancelled' });
      }
      running.get(command.id)?.abort();
      return;
    }
  }
}

async function load(command: Extract<HostCommand, { t: 'load' }>): Promise<void> {
  const share = command.gpuShare;
  llama = await getLlama({
    gpu: command.gpu,
    build: 'never',
    // Oversubscribed ggml threads spin on barriers: always explicit (ref/real-engine.md, "Threads trap").
    maxThreads: command.threads,
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      const text = message.trimEnd();
      if (text !== '') process.stderr.write(`[llama.cpp ${level}] ${text}\n`);
    },
    // The contributor's GPU share: llama.cpp plans as if only that much GPU memory existed.
    vramPadding: (totalVram) => Math.floor(totalVram * (1 - share)),
  });
  let reported = -1;
  model = await llama.loadModel({
    modelPath: command.modelPath,
    gpuLayers: command.gpu === false ? 0 : command.gpuLayers,
    onLoadProgress: (progress) => {
      // Whole percents only: a load reports thousands of steps.
      const percent = Math.floor(progress * 100);
      if (percent > reported) {
        reported = percent;
        send({ t: 'progress', progress: Math.min(1, Math.max(0, progress)) });
      }
    },
  });
  context = await model.createContext({
    contextSize: Math.min(command.contextSize, model.trainContextSize),
    sequences: command.sequences,
    threads: command.threads,
  });
  chatWrapper = resolveChatWrapper(model);
  for (let i = 0; i < command.sequences; i++) freeSequences.push(context.getSequence());
  send({
    t: 'ready',
    backend: llama.gpu === false ? 'cpu' : llama.gpu,
    gpuLayers: model.gpuLayers,
    contextSize: context.contextSize,
    threads: command.threads,
  });
}

function pump(): void {
  while (waiting.length > 0 && freeSequences.length > 0) {
    const command = waiting.shift()!;
    const sequence = freeSequences.pop()!;
    const abort = new AbortController();
    running.set(command.id, abort);
    void runChat(command, sequence, abort.signal).finally(async () => {
      running.delete(command.id);
      await sequence.clearHistory().catch(() => undefined);
      freeSequences.push(sequence);
      pump();
    });
  }
}

async function runChat(
  command: ChatCommand,
  sequence: LlamaContextSequence,
  signal: AbortSignal,
): Promise<void> {
  const session = new LlamaChatSession({
    contextSequence: sequence,
    autoDisposeSequence: false,
    ...(chatWrapper ? { chatWrapper } : {}),
  });
  const before = sequence.tokenMeter.getState();
  try {
    const { history, prompt } = toHistory(command.messages);
    session.setChatHistory(history);
    const result = await session.promptWithMeta(prompt, {
      maxTokens: command.maxTokens,
      signal,
      stopOnAbortSignal: true,
      ...(command.temperature === undefined ? {} : { temperature: command.temperature }),
      ...(command.topP === undefined ? {} : { topP: command.topP }),
      ...(command.seed === undefined ? {} : { seed: command.seed }),
      ...(command.stop && command.stop.length > 0 ? { customStopTriggers: [...command.stop] } : {}),
      onTextChunk: (text) => {
        for (let at = 0; at < text.length; at += MAX_PIECE_CHARS) {
          send({ t: 'delta', id: command.id, text: text.slice(at, at + MAX_PIECE_CHARS) });
        }
      },
    });
    if (signal.aborted) {
      send({ t: 'error', id: command.id, message: 'cancelled' });
      return;
    }
    const after = sequence.tokenMeter.getState();
    send({
      t: 'done',
      id: command.id,
      promptTokens: after.usedInputTokens - before.usedInputTokens,
      completionTokens: after.usedOutputTokens - before.usedOutputTokens,
      finishReason: result.stopReason === 'maxTokens' ? 'length' : 'stop',
    });
  } catch (error) {
    send({
      t: 'error',
      id: command.id,
      message: cut(error instanceof Error ? error.message : String(error)),
    });
  } finally {
    session.dispose({ disposeSequence: false });
  }
}

/** The messages before the last user message become the session's history; the last one is the prompt. */
function toHistory(messages: readonly HostMessage[]): { history: ChatHistoryItem[]; prompt: string } {
  let lastUser = -1;
  messages.forEach((message, index) => {
    if (message.role === 'user') lastUser = index;
  });
  const history: ChatHistoryItem[] = [];
  messages.forEach((message, index) => {
    // Messages after the last user message (an assistant prefill) have no place in a prompted session.
    if (lastUser !== -1 && index >= lastUser) return;
    if (message.role === 'system') history.push({ type: 'system', text: message.text });
    else if (message.role === 'user') history.push({ type: 'user', text: message.text });
    else history.push({ type: 'model', response: [message.text] });
  });
  return { history, prompt: lastUser === -1 ? '' : (messages[lastUser]?.text ?? '') };
}

function cut(text: string): string {
  return text.length > MAX_PIECE_CHARS ? `${text.slice(0, MAX_PIECE_CHARS)}…` : text;
}
