import type { EventEmitter } from 'node:events';
import type { RealtimeServer } from './realtime-types.ts';

/** The TCP socket's side of a Node stream that cork() holds back. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/** What an Engine.IO connection holds (not in its types): the transport, and under a WebSocket one, ws's socket. */
interface EngineConnection {
  readonly transport: { readonly name: string; readonly socket?: { readonly _socket?: Corkable } };
}

/**
 * Engine.IO hands a client's waiting packets to its transport together, but ws writes each as a frame of its own,
 * one system call apiece. Corking the TCP socket for that hand-over sends them in one write. Packets wait exactly
 * when the server is busier than its clients read, so this is where a backlog drains fastest.
 * Returns a function that stops it.
 */
export function corkFlushes(io: RealtimeServer): () => void {
  const engine = io.engine as unknown as EventEmitter;
  let corked: Corkable | null = null;
  const release = (): void => {
    corked?.uncork();
    corked = null;
  };
  const onFlush = (conn: EngineConnection, packets: readonly unknown[]): void => {
    // A hand-over that threw never reached its 'drain': its socket is released here at the latest.
    release();
    if (packets.length < 2 || conn.transport.name !== 'websocket') return;
    const tcp = conn.transport.socket?._socket;
    if (!tcp) return;
    tcp.cork();
    corked = tcp;
  };
  // Emitted by Engine.IO right after the hand-over, in the same turn.
  engine.on('flush', onFlush);
  engine.on('drain', release);
  return () => {
    engine.off('flush', onFlush);
    engine.off('drain', release);
    release();
  };
}
