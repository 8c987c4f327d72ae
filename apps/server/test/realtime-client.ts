import type {
  Ack,
  ClientToServerEvents,
  Problem,
  RealtimeAuth,
  ServerToClientEvents,
  SessionReady,
} from '@tidewatch/shared';
import { io, type Socket } from 'socket.io-client';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type EventName = keyof ServerToClientEvents;
type PayloadOf<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];
type RequestName = keyof ClientToServerEvents;
type RequestOf<E extends RequestName> = Parameters<ClientToServerEvents[E]>[0];
type AnswerOf<E extends RequestName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

export interface Received {
  readonly event: EventName;
  readonly payload: unknown;
  /** performance.now() when it arrived. */
  readonly at: number;
}

/** Resolves once `probe` returns something, polling every 20 ms. */
export async function eventually<T>(
  probe: () => T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A Socket.IO client as the console uses it, recording everything it receives. */
export class TestSocket {
  readonly received: Received[] = [];
  ready: SessionReady | undefined;

  private constructor(readonly socket: ClientSocket) {
    socket.onAny((event: EventName, payload: unknown) => {
      this.received.push({ event, payload, at: performance.now() });
      if (event === 'session:ready') this.ready = payload as SessionReady;
    });
  }

  /** Connects and waits for `session:ready`. `auth` may be a function, re-read on every reconnect. */
  static async connect(
    url: string,
    auth: RealtimeAuth | (() => RealtimeAuth),
    options: { reconnection?: boolean } = {},
  ): Promise<TestSocket> {
    const client = new TestSocket(TestSocket.open(url, auth, options.reconnection ?? false));
    await eventually(() => client.ready, 10_000, 'session:ready');
    return client;
  }

  /** Tries to connect and returns the problem of the refusal. */
  static refused(url: string, auth: unknown): Promise<{ problem: Problem; received: Received[] }> {
    const socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: auth as object,
    });
    const received: Received[] = [];
    socket.onAny((event: EventName, payload: unknown) =>
      received.push({ event, payload, at: performance.now() }),
    );
    return new Promise((resolve, reject) => {
      socket.on('connect', () => {
        socket.close();
        reject(new Error('the connection was accepted'));
      });
      socket.on('connect_error', (error: Error & { data?: unknown }) => {
        socket.close();
        resolve({ problem: error.data as Problem, received });
      });
    });
  }

  private static open(
    url: string,
    auth: RealtimeAuth | (() => RealtimeAuth),
    reconnection: boolean,
  ): ClientSocket {
    return io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      auth:
        typeof auth === 'function'
          ? (cb) => {
              cb(auth());
            }
          : auth,
    });
  }

  /** Everything of one event received so far. */
  all<E extends EventName>(event: E): PayloadOf<E>[] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload as PayloadOf<E>);
  }

  /** Waits for an event matching `match` (among those already received, too). */
  waitFor<E extends EventName>(
    event: E,
    match: (payload: PayloadOf<E>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<PayloadOf<E>> {
    return eventually(() => this.all(event).find(match), timeoutMs, `event ${event}`);
  }

  request<E extends RequestName>(event: E, payload: RequestOf<E>, timeoutMs = 10_000): Promise<AnswerOf<E>> {
    return this.raw(event, payload, timeoutMs) as Promise<AnswerOf<E>>;
  }

  /** Sends anything (malformed payloads too) and resolves with the acknowledgement. */
  raw(event: string, payload: unknown, timeoutMs = 10_000): Promise<unknown> {
    const emit = this.socket.emit.bind(this.socket) as (event: string, ...args: unknown[]) => void;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no answer to ${event} within ${String(timeoutMs)} ms`));
      }, timeoutMs);
      emit(event, payload, (answer: unknown) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  }

  /** The highest alert sequence seen, as the console keeps it. */
  lastSequence(): number {
    return Math.max(this.ready?.sequence ?? 0, ...this.all('alert').map((a) => a.sequence));
  }

  close(): void {
    this.socket.close();
  }
}

/** The data of a successful answer; fails the test with the problem otherwise. */
export function dataOf<T>(answer: Ack<T>): T {
  if (!answer.ok) throw new Error(`request refused: ${JSON.stringify(answer.problem)}`);
  return answer.data;
}
