import { describe, expect, it } from 'vitest';
import { decodeRegisters, encodeRegisters, type RegisterLayout } from './register-codec.ts';

const layout = (
  type: RegisterLayout['type'],
  wordOrder: 'big' | 'little' = 'big',
  byteOrder: 'big' | 'little' = 'big',
) => ({
  type,
  wordOrder,
  byteOrder,
});

describe('register codec', () => {
  it('decodes every type in each word and byte order (ABCD, CDAB, BADC, DCBA)', () => {
    expect(decodeRegisters([0x4148, 0x0000], layout('float32'))).toBe(12.5);
    expect(decodeRegisters([0x0000, 0x4148], layout('float32', 'little'))).toBe(12.5);
    expect(decodeRegisters([0x4841, 0x0000], layout('float32', 'big', 'little'))).toBe(12.5);
    expect(decodeRegisters([0x0000, 0x4841], layout('float32', 'little', 'little'))).toBe(12.5);
    expect(decodeRegisters([0xffff, 0xfffe], layout('int32'))).toBe(-2);
    expect(decodeRegisters([0xfffe, 0xffff], layout('int32', 'little'))).toBe(-2);
    expect(decodeRegisters([0x0001, 0xe240], layout('uint32'))).toBe(123_456);
    expect(decodeRegisters([0xffce], layout('int16'))).toBe(-50);
    expect(decodeRegisters([0xffce], layout('uint16'))).toBe(65_486);
    expect(decodeRegisters([1], layout('bool'))).toBe(1);
  });

  it('encodes what it decodes, and refuses a value the type cannot hold', () => {
    for (const l of [layout('float32', 'little'), layout('int32', 'big', 'little'), layout('int16')])
      expect(decodeRegisters(encodeRegisters(-7, l), l)).toBe(-7);
    expect(
      decodeRegisters(
        encodeRegisters(65_529, layout('uint16', 'big', 'little')),
        layout('uint16', 'big', 'little'),
      ),
    ).toBe(65_529);
    expect(encodeRegisters(150, layout('uint16'))).toEqual([150]);
    expect(encodeRegisters(3.25, layout('float32', 'little'))).toEqual([0x0000, 0x4050]);
    expect(() => encodeRegisters(70_000, layout('uint16'))).toThrow(RangeError);
    expect(() => encodeRegisters(-1, layout('uint32'))).toThrow(RangeError);
    expect(() => encodeRegisters(Number.NaN, layout('float32'))).toThrow(RangeError);
  });
});
