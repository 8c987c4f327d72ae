import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** Why the gate closed a connection. */
export type GateRefusal = 'packet_too_large' | 'malformed_header' | 'retain' | 'qos2';

export interface PacketLimits {
  /** Largest packet (after its fixed header) before `authenticated()`: a CONNECT is small. */
  readonly beforeAuth: number;
  /** Largest packet once the device is signed in. */
  readonly afterAuth: number;
}

const PUBLISH = 3;
/** A CONNECT is a client id, a user name, a secret and perhaps a short last will. */
export const CONNECT_MAX_PACKET_BYTES = 4096;

/**
 * The largest packet a signed-in device may send: MQTT_MAX_PAYLOAD_BYTES, and 64 KiB for the topic and properties
 * and so that a payload a little too large is still read, acknowledged and dropped (counted as too_large) rather
 * than sent again after every reconnect. Mosquitto's `max_packet_size` is the same.
 */
export function maxPacketBytes(maxPayloadBytes: number): number {
  return maxPayloadBytes + 65_536;
}

/**
 * Sits between a device's socket and the broker's parser and reads only MQTT fixed headers (type, flags and
 * remaining length), so that a packet is judged by what it announces before a byte of it is buffered: one
 * larger than the limit, a retained publish or a QoS 2 one closes the connection at once. Bytes of packets it
 * lets through are passed on as they arrive. MQTT 3.1.1 has no way to refuse a PUBLISH but closing the
 * connection; a device's messages are neither retained nor QoS 2 (it publishes readings once to the server).
 *
 * @example
 * const gate = new PacketGate(socket, { beforeAuth: 4096, afterAuth: 327_680 }, (reason) => count(reason));
 * broker.handle(gate); // and gate.authenticated() once its CONNECT is accepted
 */
export class PacketGate extends Duplex {
  private limit: number;
  /** Bytes of the current packet still to pass; 0 at a packet boundary. */
  private bodyLeft = 0;
  /** The fixed header read so far (at most 5 bytes). */
  private header: number[] = [];
  private refused = false;

  constructor(
    readonly socket: Socket,
    private readonly limits: PacketLimits,
    private readonly onRefusal: (reason: GateRefusal) => void,
  ) {
    super({ allowHalfOpen: false });
    this.limit = limits.beforeAuth;
    socket.on('data', (chunk: Buffer) => {
      this.receive(chunk);
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  /** The CONNECT was accepted: packets up to `afterAuth` may come now. */
  authenticated(): void {
    this.limit = this.limits.afterAuth;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) {
      callback();
      return;
    }
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }

  private receive(chunk: Buffer): void {
    if (this.refused) return;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - offset);
        this.bodyLeft -= take;
        offset += take;
        continue;
      }
      const byte = chunk[offset] ?? 0;
      this.header.push(byte);
      offset += 1;
      const verdict = this.readHeader();
      if (verdict === 'incomplete') continue;
      if (verdict !== 'pass') {
        this.refuse(verdict);
        return;
      }
    }
    // The whole chunk passes only once every header in it passed (a refused one closes the connection).
    if (!this.push(chunk)) this.socket.pause();
  }

  /** Judges the fixed header once its remaining length is complete. */
  private readHeader(): 'incomplete' | 'pass' | GateRefusal {
    const [first = 0, ...lengthBytes] = this.header;
    if (lengthBytes.length === 0) return 'incomplete';
    const last = lengthBytes[lengthBytes.length - 1] ?? 0;
    if (last & 0x80) return lengthBytes.length < 4 ? 'incomplete' : 'malformed_header';
    let length = 0;
    lengthBytes.forEach((byte, index) => {
      length += (byte & 0x7f) * 128 ** index;
    });
    this.header = [];
    if (first >> 4 === PUBLISH) {
      if (first & 0x01) return 'retain';
      if (((first >> 1) & 0x03) >= 2) return 'qos2';
    }
    if (length > this.limit) return 'packet_too_large';
    this.bodyLeft = length;
    return 'pass';
  }

  private refuse(reason: GateRefusal): void {
    this.refused = true;
    this.onRefusal(reason);
    this.socket.destroy();
  }
}
