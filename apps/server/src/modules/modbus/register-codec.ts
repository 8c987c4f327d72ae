import type { ModbusDataType, ModbusOrder } from '@tidewatch/shared';

/** How a value sits in the device's registers. */
export interface RegisterLayout {
  readonly type: ModbusDataType;
  readonly wordOrder: ModbusOrder;
  readonly byteOrder: ModbusOrder;
}

/** Registers (16-bit words) one value of `type` takes; a bit (coil, discrete input) takes one. */
export function registerCount(type: ModbusDataType): number {
  return type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;
}

const swapBytes = (word: number): number => ((word & 0xff) << 8) | ((word >> 8) & 0xff);

/** The value's bytes in big-endian order, from the words as the device sent them. */
function canonicalBytes(words: readonly number[], layout: RegisterLayout): Buffer {
  const ordered = layout.wordOrder === 'little' ? [...words].reverse() : [...words];
  const bytes = Buffer.alloc(ordered.length * 2);
  ordered.forEach((word, i) => {
    bytes.writeUInt16BE(layout.byteOrder === 'little' ? swapBytes(word) : word, i * 2);
  });
  return bytes;
}

/**
 * The number `words` hold. Words are as read off the wire (each 0..65535), in address order.
 * @example decodeRegisters([0x4148, 0x0000], { type: 'float32', wordOrder: 'big', byteOrder: 'big' }) // 12.5
 */
export function decodeRegisters(words: readonly number[], layout: RegisterLayout): number {
  if (layout.type === 'bool') return words[0] ? 1 : 0;
  if (words.length !== registerCount(layout.type)) throw new Error('wrong number of registers');
  const bytes = canonicalBytes(words, layout);
  switch (layout.type) {
    case 'int16':
      return bytes.readInt16BE(0);
    case 'uint16':
      return bytes.readUInt16BE(0);
    case 'int32':
      return bytes.readInt32BE(0);
    case 'uint32':
      return bytes.readUInt32BE(0);
    case 'float32':
      return bytes.readFloatBE(0);
  }
}

/**
 * The words to write so the device holds `value` (the raw number, before scale and offset), in address order.
 * Integer types take the nearest integer and refuse one out of range; float32 rounds to single precision.
 * @throws RangeError when the value does not fit the type
 */
export function encodeRegisters(value: number, layout: RegisterLayout): number[] {
  if (layout.type === 'bool') return [value ? 1 : 0];
  const bytes = Buffer.alloc(registerCount(layout.type) * 2);
  const integer = Math.round(value);
  const fits = (min: number, max: number) => {
    if (!Number.isFinite(value) || integer < min || integer > max)
      throw new RangeError(`${String(value)} does not fit ${layout.type}`);
  };
  switch (layout.type) {
    case 'int16':
      fits(-0x8000, 0x7fff);
      bytes.writeInt16BE(integer, 0);
      break;
    case 'uint16':
      fits(0, 0xffff);
      bytes.writeUInt16BE(integer, 0);
      break;
    case 'int32':
      fits(-0x80000000, 0x7fffffff);
      bytes.writeInt32BE(integer, 0);
      break;
    case 'uint32':
      fits(0, 0xffffffff);
      bytes.writeUInt32BE(integer, 0);
      break;
    case 'float32':
      if (!Number.isFinite(value) || Math.abs(value) > 3.4028234663852886e38)
        throw new RangeError(`${String(value)} does not fit float32`);
      bytes.writeFloatBE(value, 0);
      break;
  }
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const word = bytes.readUInt16BE(i);
    words.push(layout.byteOrder === 'little' ? swapBytes(word) : word);
  }
  return layout.wordOrder === 'little' ? words.reverse() : words;
}
