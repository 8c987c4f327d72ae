import net from 'node:net';

/**
 * A device's MQTT 3.1.1 connection for the load generator, and nothing more: it signs in, publishes QoS 1 messages
 * on one topic and counts their PUBACKs; when the broker closes the connection (as it does to a device whose
 * message it cannot take now) it connects again and sends every unacknowledged message again, as a real device
 * does. The load generator shares the server's two cores, so every microsecond it spends per message is taken from
 * the system it measures; a full client (mqtt.js: a packet object, an outgoing store and promises per message) cost
 * about as much CPU as the server's own handling of the message. The frames are written by hand.
 */
export class LeanMqttDevice {
  private nextId = 1;
  /** Messages sent and not yet acknowledged, oldest first: their frames, to send again after a reconnect. */
  private readonly unacked = new Map<
    number,
    { frame: Buffer; resolve: () => void; reject: (error: Error) => void }
  >();
  private inbound: Buffer = Buffer.alloc(0);
  private readonly topic: Buffer;
  private socket: net.Socket | null = null;
  private ended = false;

  private constructor(
    private readonly url: string,
    private readonly device: { readonly id: string; readonly secret: string },
    topic: string,
  ) {
    const name = Buffer.from(topic);
    this.topic = Buffer.concat([uint16(name.length), name]);
  }

  /** Connects and signs in; rejects with the CONNACK's return code when the broker refuses. */
  static async connect(
    url: string,
    device: { readonly id: string; readonly secret: string },
    topic: string,
  ): Promise<LeanMqttDevice> {
    const connection = new LeanMqttDevice(url, device, topic);
    connection.attach(await signIn(url, device));
    return connection;
  }

  /** Publishes with QoS 1; resolves on the PUBACK. */
  publish(body: string): Promise<void> {
    const id = this.nextId;
    this.nextId = this.nextId === 0xffff ? 1 : this.nextId + 1;
    const payload = Buffer.from(body);
    const remaining = this.topic.length + 2 + payload.length;
    const frame = Buffer.concat([Buffer.from([0x32]), varint(remaining), this.topic, uint16(id), payload]);
    return new Promise((resolve, reject) => {
      this.unacked.set(id, { frame, resolve, reject });
      this.socket?.write(frame);
    });
  }

  /** Sends DISCONNECT and closes; messages still unacknowledged fail. */
  async end(): Promise<void> {
    this.ended = true;
    const socket = this.socket;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.end(Buffer.from([0xe0, 0x00]), resolve);
      });
      socket.destroy();
    }
    for (const waiter of this.unacked.values()) waiter.reject(new Error('ended before its PUBACK'));
    this.unacked.clear();
  }

  /** Whether end() was called (a method, so that a check after an await reads the field again). */
  private stopped(): boolean {
    return this.ended;
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    this.inbound = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      this.read(chunk);
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.socket = null;
      if (!this.ended) void this.reconnect();
    });
  }

  /** Signs in again, then sends what is unacknowledged again, in order, flagged as duplicates. */
  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.stopped(); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 2000)));
      try {
        const socket = await signIn(this.url, this.device);
        if (this.stopped()) {
          socket.destroy();
          return;
        }
        this.attach(socket);
        for (const { frame } of this.unacked.values()) {
          frame[0] = 0x3a;
          socket.write(frame);
        }
        return;
      } catch {
        // The broker is busy or away: try again.
      }
    }
  }

  private read(chunk: Buffer): void {
    this.inbound = this.inbound.length === 0 ? chunk : Buffer.concat([this.inbound, chunk]);
    let at = 0;
    for (;;) {
      const packet = frameAt(this.inbound, at);
      if (!packet) break;
      // PUBACK: 0x40, length 2, packet id. Anything else (PINGRESP) needs nothing.
      if (this.inbound[at] === 0x40 && packet.length === 2) {
        const id = this.inbound.readUInt16BE(packet.start);
        const waiter = this.unacked.get(id);
        this.unacked.delete(id);
        waiter?.resolve();
      }
      at = packet.start + packet.length;
    }
    this.inbound = this.inbound.subarray(at);
  }
}

/** A socket signed in with CONNECT; rejects when the broker refuses (the CONNACK's code) or does not answer. */
async function signIn(
  url: string,
  device: { readonly id: string; readonly secret: string },
  timeoutMs = 30_000,
): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port || 1883), noDelay: true });
  socket.setTimeout(timeoutMs);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      let received = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 4) return;
        if (received[0] !== 0x20)
          reject(new Error(`expected CONNACK, got packet type ${String(received[0])}`));
        else resolve(received[3] ?? 255);
      };
      socket.once('connect', () => {
        socket.write(connectFrame(device.id, device.id, device.secret));
      });
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('close', () => {
        reject(new Error('the broker closed the connection before CONNACK'));
      });
      socket.once('timeout', () => {
        reject(new Error('no CONNACK in time'));
      });
    });
    if (code !== 0) throw new Error(`the broker refused the connection (CONNACK ${String(code)})`);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  socket.setTimeout(0);
  socket.removeAllListeners();
  return socket;
}

/** Where the body of the packet at `at` starts and how long it is, or null while it has not fully arrived. */
function frameAt(buffer: Buffer, at: number): { start: number; length: number } | null {
  let length = 0;
  let multiplier = 1;
  for (let i = at + 1; i < buffer.length && i < at + 5; i += 1) {
    const byte = buffer[i] ?? 0;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) {
      const start = i + 1;
      return start + length <= buffer.length ? { start, length } : null;
    }
  }
  return null;
}

function uint16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

/** MQTT's variable-length integer: 7 bits a byte, the high bit saying another byte follows. */
function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

function text(value: string): Buffer {
  const bytes = Buffer.from(value);
  return Buffer.concat([uint16(bytes.length), bytes]);
}

/** CONNECT, MQTT 3.1.1: clean session, user name and password, keep-alive of 5 minutes (longer than any step). */
function connectFrame(clientId: string, username: string, password: string): Buffer {
  const variable = Buffer.concat([text('MQTT'), Buffer.from([4, 0x80 | 0x40 | 0x02]), uint16(300)]);
  const payload = Buffer.concat([text(clientId), text(username), text(password)]);
  return Buffer.concat([Buffer.from([0x10]), varint(variable.length + payload.length), variable, payload]);
}
