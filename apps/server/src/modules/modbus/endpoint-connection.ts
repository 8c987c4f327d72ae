import modbusSerial from 'modbus-serial';

// CommonJS: module.exports is the client class itself, which the package's types call `default`.
const ModbusClient = modbusSerial as unknown as typeof modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusClient>;

/** Why a request got no value: the endpoint (no connection, no answer in time) or the device (an exception). */
export class ModbusRequestError extends Error {
  constructor(
    readonly kind: 'connection' | 'timeout' | 'exception',
    message: string,
    /** The Modbus exception code, for `exception`. */
    readonly exceptionCode: number | null = null,
  ) {
    super(message);
    this.name = 'ModbusRequestError';
  }

  /** An endpoint failure counts towards its back-off and circuit; an exception is the device's answer. */
  get endpointFailed(): boolean {
    return this.kind !== 'exception';
  }
}

function classify(error: unknown): ModbusRequestError {
  if (error instanceof ModbusRequestError) return error;
  const { modbusCode, name, message } = (error ?? {}) as {
    modbusCode?: unknown;
    name?: unknown;
    message?: unknown;
  };
  const text = typeof message === 'string' ? message : String(error);
  if (typeof modbusCode === 'number') return new ModbusRequestError('exception', text, modbusCode);
  if (name === 'TransactionTimedOutError' || /timed out/i.test(text))
    return new ModbusRequestError('timeout', 'no answer in time');
  return new ModbusRequestError('connection', text);
}

/**
 * The one connection to a gateway (host:port) that every device behind it shares. Requests run one at a time, in
 * the order given; after an endpoint failure the connection is closed, so a late answer is never taken for the
 * next request's, and the next request connects afresh.
 */
export class EndpointConnection {
  private client: ModbusRTU | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly connectTimeoutMs: number,
  ) {}

  get isOpen(): boolean {
    return this.client?.isOpen ?? false;
  }

  /** Runs `work` alone on the connection, after whatever was queued before it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** One request to `unitId`, within `timeoutMs`. Call inside `exclusive`. */
  async request<T>(unitId: number, timeoutMs: number, send: (client: ModbusRTU) => Promise<T>): Promise<T> {
    const client = await this.open();
    client.setID(unitId);
    client.setTimeout(timeoutMs);
    try {
      return await send(client);
    } catch (error) {
      const failure = classify(error);
      if (failure.endpointFailed) await this.close();
      throw failure;
    }
  }

  private async open(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client;
    await this.close();
    const client = new ModbusClient();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connectTCP(this.host, { port: this.port }),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => {
            reject(new ModbusRequestError('timeout', 'no connection in time'));
          }, this.connectTimeoutMs);
        }),
      ]);
    } catch (error) {
      closeQuietly(client);
      const failure = classify(error);
      throw failure.kind === 'timeout'
        ? failure
        : new ModbusRequestError('connection', `cannot connect: ${failure.message}`);
    } finally {
      clearTimeout(timer);
    }
    this.client = client;
    return client;
  }

  close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) closeQuietly(client);
    return Promise.resolve();
  }
}

function closeQuietly(client: ModbusRTU): void {
  try {
    client.close(() => undefined);
  } catch {
    // Already closed.
  }
}
