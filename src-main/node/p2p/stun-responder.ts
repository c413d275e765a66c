// A STUN Binding responder on UDP (RFC 5389), run by bootstrap/relay nodes on the same IP and port number as
// their TCP listen address, so every node that knows the bootstrap list knows where to ask "what address do
// you see me at?" (stun-servers.ts). ICE uses the answer as its server-reflexive candidate, which is what
// lets two nodes behind endpoint-independent NATs punch a direct UDP path (WebRTC, webrtc-transport.ts).
// It answers nothing but well-formed Binding requests, and at most `maxAnswersPerSecond` of those, of which
// one source address gets a small share: a response (40 bytes, 52 for IPv6) is at most 2.6 times the
// smallest request, so the responder is no useful reflector, and one flooder does not silence it for others.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { bindingSuccess, parseBindingRequest } from './stun-message.ts';

export interface StunResponderInit {
  /** Answers per second across all senders; the rest are dropped (default 2,000). */
  readonly maxAnswersPerSecond?: number;
  /**
   * Answers per second to one source address (default 20; ICE asks a server a few times per attempt), so one
   * flooding sender cannot spend the whole budget and leave every other node without an answer.
   */
  readonly maxAnswersPerSourcePerSecond?: number;
}

/** Source addresses tracked per one-second window; beyond it new sources wait for the next window. */
const MAX_SOURCES_PER_WINDOW = 4096;

export interface StunBinding {
  readonly host: string;
  readonly port: number;
}

export class StunResponder {
  readonly #init: StunResponderInit;
  readonly #sockets: Socket[] = [];
  #windowStart = 0;
  #answeredInWindow = 0;
  /** Answers per source address in the current window (cleared with it, so bounded by the window). */
  readonly #perSource = new Map<string, number>();
  /** Requests answered and datagrams refused since start (for tests and status). */
  answered = 0;
  refused = 0;

  constructor(init: StunResponderInit = {}) {
    this.#init = init;
  }

  /**
   * Binds one UDP socket per address. An address that cannot be bound (port taken, address gone) is skipped
   * and returned in `failed`: STUN helps other nodes punch holes, it must never stop this node from starting.
   */
  async start(
    bindings: readonly StunBinding[],
  ): Promise<{ bound: StunBinding[]; failed: { binding: StunBinding; error: Error }[] }> {
    const bound: StunBinding[] = [];
    const failed: { binding: StunBinding; error: Error }[] = [];
    for (const binding of bindings) {
      try {
        const socket = await this.#bind(binding);
        const address = socket.address();
        bound.push({ host: address.address, port: address.port });
        this.#sockets.push(socket);
      } catch (error) {
        failed.push({ binding, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    return { bound, failed };
  }

  #bind(binding: StunBinding): Promise<Socket> {
    const socket = createSocket({ type: isIPv6(binding.host) ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      socket.once('error', (error) => {
        socket.close();
        reject(error);
      });
      socket.bind(binding.port, binding.host, () => {
        socket.removeAllListeners('error');
        // Send errors (an unreachable sender) concern one datagram, never the responder.
        socket.on('error', () => undefined);
        socket.on('message', (datagram, sender) =>
          this.#answer(socket, datagram, sender.address, sender.port),
        );
        resolve(socket);
      });
    });
  }

  #answer(socket: Socket, datagram: Buffer, address: string, port: number): void {
    const request = parseBindingRequest(datagram);
    // Source port 0 is legal on the wire but cannot be answered: send() would throw out of this listener.
    if ('refused' in request || port === 0 || !this.#withinRate(address)) {
      this.refused += 1;
      return;
    }
    try {
      socket.send(bindingSuccess(request.transactionId, address, port), port, address);
      this.answered += 1;
    } catch {
      // Whatever one sender's address makes of encoding or send, it never reaches the event loop.
      this.refused += 1;
    }
  }

  #withinRate(source: string): boolean {
    const now = Date.now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#answeredInWindow = 0;
      this.#perSource.clear();
    }
    const fromSource = this.#perSource.get(source) ?? 0;
    if (fromSource === 0 && this.#perSource.size >= MAX_SOURCES_PER_WINDOW) return false;
    // A source over its own share is refused without spending the shared budget.
    if (fromSource >= (this.#init.maxAnswersPerSourcePerSecond ?? 20)) return false;
    if (this.#answeredInWindow >= (this.#init.maxAnswersPerSecond ?? 2000)) return false;
    this.#perSource.set(source, fromSource + 1);
    this.#answeredInWindow += 1;
    return true;
  }

  async stop(): Promise<void> {
    const sockets = this.#sockets.splice(0);
    await Promise.all(sockets.map((socket) => new Promise<void>((done) => socket.close(() => done()))));
  }
}
