import type { Socket } from 'node:net';

/** The fixed header of an MQTT packet whose first byte is `first`, announcing `length` bytes to follow. */
export function fixedHeader(first: number, length: number): Buffer {
  const bytes = [first];
  let left = length;
  do {
    let byte = left % 128;
    left = Math.floor(left / 128);
    if (left > 0) byte |= 0x80;
    bytes.push(byte);
  } while (left > 0);
  return Buffer.from(bytes);
}

/** An MQTT 3.1.1 CONNECT for `clientId` (clean session, keepalive 60 s), as a device would send it. */
export function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60]);
  const payload = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  return Buffer.concat([fixedHeader(0x10, variable.length + payload.length), variable, payload]);
}

/** Resolves true once the socket is closed (by the server), or false after `ms`. */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, ms);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
