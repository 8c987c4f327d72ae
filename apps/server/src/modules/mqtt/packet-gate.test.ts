import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PacketGate, type GateRefusal } from './packet-gate.ts';

/** A gate over an in-memory socket: what it passed on, and what it refused. */
function gateOver(limits = { beforeAuth: 100, afterAuth: 1000 }) {
  const wire = new PassThrough();
  const socket = Object.assign(wire, { destroy: () => wire.emit('close') }) as unknown as Socket;
  const refusals: GateRefusal[] = [];
  const gate = new PacketGate(socket, limits, (reason) => refusals.push(reason));
  const passed: Buffer[] = [];
  gate.on('data', (chunk: Buffer) => passed.push(chunk));
  const send = async (bytes: number[]) => {
    wire.emit('data', Buffer.from(bytes));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { gate, send, refusals, passed: () => Buffer.concat(passed) };
}

describe('PacketGate', () => {
  it('passes packets whose headers arrive split across chunks, and reads the length varint', async () => {
    const { send, refusals, passed } = gateOver();
    // PINGREQ, then a CONNECT of 99 bytes announced as 0x63 and sent in pieces.
    await send([0xc0, 0x00, 0x10]);
    await send([0x63, ...Array<number>(50).fill(1)]);
    await send(Array<number>(49).fill(2));
    expect(refusals).toEqual([]);
    expect(passed().length).toBe(2 + 2 + 99);
  });

  it('refuses a packet over the limit by its header alone, and allows more once authenticated', async () => {
    const before = gateOver();
    await before.send([0x30, 0xe8, 0x07]); // a PUBLISH of 1000 bytes
    expect(before.refusals).toEqual(['packet_too_large']);
    expect(before.passed().length).toBe(0);

    const after = gateOver();
    after.gate.authenticated();
    await after.send([0x32, 0xe8, 0x07]);
    expect(after.refusals).toEqual([]);
  });

  it('refuses retained and QoS 2 publishes, and a length of more than four bytes', async () => {
    const cases: [number[], GateRefusal][] = [
      [[0x31, 0x02], 'retain'],
      [[0x34, 0x02], 'qos2'],
      [[0x10, 0xff, 0xff, 0xff, 0xff], 'malformed_header'],
    ];
    for (const [bytes, reason] of cases) {
      const { send, refusals } = gateOver();
      await send(bytes);
      expect(refusals).toEqual([reason]);
    }
  });
});
