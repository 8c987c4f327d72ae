import type { Socket } from 'node:net';

export interface ConnectionCapLimits {
  readonly perAddress: number;
  readonly total: number;
}

/**
 * Counts the broker's open sockets, in total and per remote address, across its listeners: a socket over either
 * cap is refused before it costs a parser, a TLS handshake or a password hash.
 */
export class ConnectionCaps {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: ConnectionCapLimits) {}

  /** Counts the socket until it closes, or says which cap it is over (and leaves it uncounted). */
  admit(socket: Socket): 'admitted' | 'per_address' | 'total' {
    const address = socket.remoteAddress ?? '';
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (this.total >= this.limits.total) return 'total';
    if (fromAddress >= this.limits.perAddress) return 'per_address';
    this.total += 1;
    this.byAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.total -= 1;
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
    });
    return 'admitted';
  }
}
