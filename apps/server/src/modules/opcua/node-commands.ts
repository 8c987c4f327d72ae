import { AttributeIds, DataType, Variant, type ClientSession } from 'node-opcua-client';
import { parseNodeId } from './node-ids.ts';
import { rawText } from './sampled-values.ts';

export interface CommandOutcome {
  readonly ok: boolean;
  readonly result: Record<string, unknown>;
  readonly message?: string;
}

type Param = unknown;

const INTEGER_RANGES: Partial<Record<DataType, readonly [number, number]>> = {
  [DataType.SByte]: [-128, 127],
  [DataType.Byte]: [0, 255],
  [DataType.Int16]: [-32_768, 32_767],
  [DataType.UInt16]: [0, 65_535],
  [DataType.Int32]: [-2_147_483_648, 2_147_483_647],
  [DataType.UInt32]: [0, 4_294_967_295],
};

/**
 * A command parameter as a value of the node's built-in type: numbers within the type's range, booleans from
 * true/false or 1/0, text as it is. Throws with a message the operator can act on.
 * @example coerceParam(42, DataType.Double) // 42
 */
export function coerceParam(value: Param, dataType: DataType): unknown {
  const name = DataType[dataType];
  if (dataType === DataType.Boolean) {
    if (typeof value === 'boolean') return value;
    if (value === 1 || value === 0) return value === 1;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new Error(`a Boolean node takes true or false, not ${JSON.stringify(value)}`);
  }
  if (dataType === DataType.String) return String(value);
  if (dataType === DataType.Float || dataType === DataType.Double) {
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isFinite(number))
      throw new Error(`a ${name} node takes a number, not ${JSON.stringify(value)}`);
    return number;
  }
  const range = INTEGER_RANGES[dataType];
  if (range) {
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < range[0] || number > range[1])
      throw new Error(`a ${name} node takes an integer from ${String(range[0])} to ${String(range[1])}`);
    return number;
  }
  throw new Error(`nodes of type ${name} cannot be written by a command`);
}

/** The built-in type a standard DataType node id (ns=0;i=1..25) stands for, or null. */
function builtInType(id: number): DataType | null {
  if (!Number.isInteger(id) || id < 1 || id > 25) return null;
  const name = DataType[id];
  return name === undefined ? null : DataType[name as keyof typeof DataType];
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${what} got no answer within ${String(ms)} ms`));
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

/** Writes `params.value` to a variable, as the variable's own built-in type. Good status: acknowledged. */
export async function writeValue(
  session: ClientSession,
  nodeIdText: string,
  params: Record<string, unknown>,
  timeoutMs: number,
): Promise<CommandOutcome> {
  if (!('value' in params)) return { ok: false, result: {}, message: 'a write command needs params.value' };
  const nodeId = parseNodeId(nodeIdText);
  const dataType = await withTimeout(
    session.getBuiltInDataType(nodeId),
    timeoutMs,
    'reading the node’s type',
  );
  let value: unknown;
  try {
    value = coerceParam(params.value, dataType);
  } catch (error) {
    return { ok: false, result: {}, message: error instanceof Error ? error.message : String(error) };
  }
  const statusCode = await withTimeout(
    session.write({
      nodeId,
      attributeId: AttributeIds.Value,
      value: { value: new Variant({ dataType, value }) },
    }),
    timeoutMs,
    'the write',
  );
  return statusCode.isGood()
    ? { ok: true, result: { statusCode: statusCode.name } }
    : {
        ok: false,
        result: { statusCode: statusCode.name },
        message: `the server answered ${statusCode.name}`,
      };
}

/**
 * Calls a method with the params named as its input arguments (read from the server), each as its argument's
 * built-in type. Good status for the call and every argument: acknowledged, with the outputs as text.
 */
export async function callMethod(
  session: ClientSession,
  objectIdText: string,
  methodIdText: string,
  params: Record<string, unknown>,
  timeoutMs: number,
): Promise<CommandOutcome> {
  const objectId = parseNodeId(objectIdText);
  const methodId = parseNodeId(methodIdText);
  const definition = await withTimeout(
    session.getArgumentDefinition(methodId),
    timeoutMs,
    'reading the method’s arguments',
  );
  const inputArguments: Variant[] = [];
  for (const argument of definition.inputArguments) {
    const name = argument.name ?? '';
    if (!(name in params)) return { ok: false, result: {}, message: `the method needs params.${name}` };
    const typeId = argument.dataType;
    const dataType =
      typeId.namespace === 0 && typeof typeId.value === 'number' ? builtInType(typeId.value) : null;
    if (dataType === null)
      return { ok: false, result: {}, message: `argument ${name} is of a type a command cannot give` };
    try {
      inputArguments.push(new Variant({ dataType, value: coerceParam(params[name], dataType) }));
    } catch (error) {
      return {
        ok: false,
        result: {},
        message: `${name}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  const answer = await withTimeout(
    session.call({ objectId, methodId, inputArguments }),
    timeoutMs,
    'the method call',
  );
  const argumentProblems = (answer.inputArgumentResults ?? []).filter((status) => !status.isGood());
  const ok = answer.statusCode.isGood() && argumentProblems.length === 0;
  const result = {
    statusCode: answer.statusCode.name,
    outputs: (answer.outputArguments ?? []).map((output) => rawText(output.value)),
  };
  return ok
    ? { ok: true, result }
    : {
        ok: false,
        result,
        message: `the server answered ${argumentProblems[0]?.name ?? answer.statusCode.name}`,
      };
}
