import { createSocket, type Socket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import type { Resolve } from '../src/modules/outbound/destination-guard.ts';

/**
 * A DNS server on 127.0.0.1 (UDP, A records only) that answers each name from a script: the first query gets
 * the first answer, the next the second, and the last answer repeats. A name that changes its answer between
 * the check and the connection is DNS rebinding.
 */
export class HostileDns {
  readonly queries: string[] = [];
  private readonly served = new Map<string, number>();

  private constructor(
    private readonly socket: Socket,
    private readonly script: ReadonlyMap<string, readonly (readonly string[])[]>,
  ) {
    socket.on('message', (message, peer) => {
      const answer = this.answer(message);
      if (answer) socket.send(answer, peer.port, peer.address);
    });
  }

  static async start(script: Record<string, readonly (readonly string[])[]>): Promise<HostileDns> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new HostileDns(socket, new Map(Object.entries(script)));
  }

  /** Resolution through this server only, in the shape the destination guard takes. */
  resolver(): Resolve {
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${String(this.socket.address().port)}`]);
    return async (hostname) => (await resolver.resolve4(hostname)).map((address) => ({ address, family: 4 }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.close(() => {
        resolve();
      });
    });
  }

  private answer(query: Buffer): Buffer | null {
    if (query.length < 17) return null;
    const labels: string[] = [];
    let offset = 12;
    for (let length = query[offset] ?? 0; length > 0; length = query[offset] ?? 0) {
      labels.push(query.subarray(offset + 1, offset + 1 + length).toString('latin1'));
      offset += length + 1;
    }
    const questionEnd = offset + 5;
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    this.queries.push(name);
    const answers = this.script.get(name);
    const served = this.served.get(name) ?? 0;
    this.served.set(name, served + 1);
    const addresses = type === 1 && answers ? (answers[Math.min(served, answers.length - 1)] ?? []) : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    // A response, recursion desired and available; NXDOMAIN for a name the script does not know.
    header.writeUInt16BE(answers ? 0x8180 : 0x8183, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const records = addresses.map((address) => {
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0);
      record.writeUInt16BE(1, 2);
      record.writeUInt16BE(1, 4);
      record.writeUInt32BE(0, 6);
      record.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
      return record;
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
  }
}
