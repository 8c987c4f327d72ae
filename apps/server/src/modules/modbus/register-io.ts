import type { EndpointConnection } from './endpoint-connection.ts';
import type { RegisterMapping } from './modbus-claims.ts';
import { decodeRegisters, encodeRegisters, registerCount } from './register-codec.ts';

/** A value as read: the words (or bit) off the wire, and `decoded * scale + offset`. */
export interface RegisterReading {
  readonly raw: number[];
  readonly value: number;
}

/** Reads one mapped value with the function its mapping names. Call inside `connection.exclusive`. */
export async function readRegister(
  connection: EndpointConnection,
  unitId: number,
  timeoutMs: number,
  mapping: RegisterMapping,
): Promise<RegisterReading> {
  const count = registerCount(mapping.type);
  const raw = await connection.request(unitId, timeoutMs, async (client): Promise<number[]> => {
    switch (mapping.function) {
      case 1:
        return [(await client.readCoils(mapping.address, 1)).data[0] ? 1 : 0];
      case 2:
        return [(await client.readDiscreteInputs(mapping.address, 1)).data[0] ? 1 : 0];
      case 3:
        return [...(await client.readHoldingRegisters(mapping.address, count)).data];
      case 4:
        return [...(await client.readInputRegisters(mapping.address, count)).data];
    }
  });
  return { raw, value: decodeRegisters(raw, mapping) * mapping.scale + mapping.offset };
}

/**
 * Writes `value` (in the metric's unit: `(value - offset) / scale` goes to the device) to a coil or holding
 * register, then reads it back. Answers what the device holds afterwards, in the metric's unit.
 * @throws RangeError when the value does not fit the register, ModbusRequestError when the device does not take it
 */
export async function writeRegister(
  connection: EndpointConnection,
  unitId: number,
  timeoutMs: number,
  mapping: RegisterMapping,
  value: number,
): Promise<{ written: number[]; readBack: RegisterReading }> {
  const words = encodeRegisters((value - mapping.offset) / mapping.scale, mapping);
  await connection.request(unitId, timeoutMs, async (client) => {
    if (mapping.function === 1) await client.writeCoil(mapping.address, words[0] === 1);
    else if (words.length === 1) await client.writeRegister(mapping.address, words[0] ?? 0);
    else await client.writeRegisters(mapping.address, words);
  });
  const readBack = await readRegister(connection, unitId, timeoutMs, mapping);
  return { written: words, readBack };
}
