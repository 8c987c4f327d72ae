import { createServer } from 'node:net';
import modbusSerial from 'modbus-serial';

type Bank = Map<number, number>;
interface Unit {
  readonly holding: Bank;
  readonly input: Bank;
  readonly coils: Bank;
}

/** A free TCP port on 127.0.0.1 (ServerTCP treats port 0 as its default, 502). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

/** An exception response: ServerTCP answers a thrown error carrying `modbusErrorCode`. */
class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number) {
    super(`exception ${String(modbusErrorCode)}`);
  }
}

/**
 * A real Modbus TCP server (modbus-serial's ServerTCP) with register banks per unit id. Unknown addresses answer
 * exception 2 (illegal data address); `delayMs` makes every answer slow. Counts reads per unit/function/address
 * and the most connections open at once.
 */
export class ModbusPeer {
  delayMs = 0;
  maxConnections = 0;
  readonly reads = new Map<string, number>();
  private readonly units = new Map<number, Unit>();
  private constructor(
    private readonly server: InstanceType<typeof modbusSerial.ServerTCP>,
    readonly port: number,
  ) {}

  static async start(port?: number): Promise<ModbusPeer> {
    const chosen = port ?? (await freePort());
    const holder: { peer?: ModbusPeer } = {};
    const unit = (id: number): Unit => {
      const found = holder.peer?.unit(id);
      if (!found) throw new ModbusException(11);
      return found;
    };
    const read = async (bank: keyof Unit, fn: number, addr: number, id: number): Promise<number> => {
      const peer = holder.peer;
      if (!peer) throw new ModbusException(4);
      peer.maxConnections = Math.max(peer.maxConnections, peer.server.socks.size);
      const key = `${String(id)}/${String(fn)}/${String(addr)}`;
      peer.reads.set(key, (peer.reads.get(key) ?? 0) + 1);
      if (peer.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, peer.delayMs));
      const value = unit(id)[bank].get(addr);
      if (value === undefined) throw new ModbusException(2);
      return value;
    };
    const server = new modbusSerial.ServerTCP(
      {
        getHoldingRegister: (addr: number, id: number) => read('holding', 3, addr, id),
        getInputRegister: (addr: number, id: number) => read('input', 4, addr, id),
        getCoil: async (addr: number, id: number) => (await read('coils', 1, addr, id)) === 1,
        setRegister: (addr: number, value: number, id: number) => {
          const bank = unit(id).holding;
          if (!bank.has(addr)) throw new ModbusException(2);
          bank.set(addr, value);
        },
        setCoil: (addr: number, value: boolean, id: number) => {
          const bank = unit(id).coils;
          if (!bank.has(addr)) throw new ModbusException(2);
          bank.set(addr, value ? 1 : 0);
        },
      },
      { host: '127.0.0.1', port: chosen },
    );
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => {
        resolve();
      });
      server.on('serverError', reject);
    });
    server.on('socketError', () => undefined);
    holder.peer = new ModbusPeer(server, chosen);
    return holder.peer;
  }

  unit(id: number): Unit {
    let unit = this.units.get(id);
    if (!unit) {
      unit = { holding: new Map(), input: new Map(), coils: new Map() };
      this.units.set(id, unit);
    }
    return unit;
  }

  readsOf(unitId: number, fn: number, address: number): number {
    return this.reads.get(`${String(unitId)}/${String(fn)}/${String(address)}`) ?? 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}
