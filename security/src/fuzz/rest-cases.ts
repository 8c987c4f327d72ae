import type { Random } from '../random.ts';
import type { RawRequest } from '../http-client.ts';
import {
  BROKEN_JSON_TEXTS,
  depthBombText,
  EDGE_NUMBERS,
  hostileString,
  INVALID_UUIDS,
  PROTOTYPE_KEYS,
  wrongType,
} from './hostile-values.ts';
import type { Operation } from './openapi.ts';
import type { SchemaSampler } from './schema-sampler.ts';

/** Who sends a case: a user of the fuzz tenant by role, nobody, or a forged token. */
export type Sender = 'admin' | 'supervisor' | 'operator' | 'viewer' | 'none' | 'garbage';

export interface RestCase {
  readonly index: number;
  readonly operation: Operation;
  /** What was done to it: `valid`, `body:wrong-type`, `transport:truncated`, ... */
  readonly kind: string;
  readonly sender: Sender;
  readonly request: RawRequest;
  /** The path parameters as the server decodes them; null when they cannot be decoded. */
  readonly params: Readonly<Record<string, string>> | null;
  readonly queryText: string;
  readonly bodyText: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
}

export interface CaseSources {
  readonly sampler: SchemaSampler;
  /**
   * A value for a path parameter: for `:id` mostly the fuzz tenant's id, sometimes another tenant's or a random
   * one; for other parameters (a map tile's `:z/:x/:y`) whatever fits them.
   */
  readonly pathId: (operation: Operation, random: Random, name: string) => string;
  readonly tokens: Readonly<Record<Sender, string | null>>;
  /** HTTP Basic credentials of a device of the fuzz tenant, for POST /ingest. */
  readonly deviceAuthorization: string;
}

type Json = unknown;

/** Every object and array inside a value, with a way to replace a child. */
function containers(value: Json): (Record<string, Json> | Json[])[] {
  const found: (Record<string, Json> | Json[])[] = [];
  const walk = (node: Json, depth: number): void => {
    if (depth > 12 || typeof node !== 'object' || node === null) return;
    found.push(node as Record<string, Json> | Json[]);
    for (const child of Object.values(node)) walk(child, depth + 1);
  };
  walk(value, 0);
  return found;
}

function setOwn(target: Record<string, Json>, key: string, value: Json): void {
  // defineProperty, so `__proto__` becomes an own key that JSON.stringify writes out.
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
}

/** Applies one hostile change somewhere inside a (deep-copied) valid body. */
function mutateBody(valid: Json, random: Random): { body: Json; kind: string } {
  const body = structuredClone(valid);
  const targets = containers(body);
  if (targets.length === 0) return { body: wrongType(body, random), kind: 'body:wrong-top-level' };
  const target = random.pick(targets);
  const keys = Array.isArray(target) ? target.map((_v, i) => String(i)) : Object.keys(target);
  const key = keys.length > 0 ? random.pick(keys) : undefined;
  const current = key === undefined ? undefined : (target as Record<string, Json>)[key];
  const replace = (value: Json): void => {
    if (key === undefined) return;
    if (Array.isArray(target)) target[Number(key)] = value;
    else setOwn(target, key, value);
  };
  const mutation = random.weighted<string>([
    [4, 'wrong-type'],
    [3, 'missing-field'],
    [3, 'extra-field'],
    [5, 'hostile-string'],
    [4, 'edge-number'],
    [3, 'invalid-uuid'],
    [2, 'null'],
    [2, 'prototype-pollution'],
    [1, 'huge-array'],
    [2, 'wrong-top-level'],
  ]);
  switch (mutation) {
    case 'wrong-type':
      replace(wrongType(current, random));
      break;
    case 'missing-field':
      if (key !== undefined && !Array.isArray(target)) Reflect.deleteProperty(target, key);
      else if (Array.isArray(target)) target.length = 0;
      break;
    case 'extra-field':
      if (Array.isArray(target)) target.push(hostileString(random));
      else
        setOwn(
          target,
          random.pick(['extra', 'id', 'tenantId', 'role', 'isAdmin', random.string(6)]),
          hostileString(random),
        );
      break;
    case 'hostile-string':
      replace(hostileString(random));
      break;
    case 'edge-number':
      replace(random.pick(EDGE_NUMBERS));
      break;
    case 'invalid-uuid':
      replace(random.pick(INVALID_UUIDS));
      break;
    case 'null':
      replace(null);
      break;
    case 'prototype-pollution': {
      const objects = targets.filter((t) => !Array.isArray(t)) as Record<string, Json>[];
      const into = objects.length > 0 ? random.pick(objects) : undefined;
      const pollution = { isAdmin: true, role: 'super_admin', tenantId: null, polluted: 'yes' };
      if (into)
        setOwn(into, random.pick(PROTOTYPE_KEYS), random.chance(0.5) ? pollution : { prototype: pollution });
      break;
    }
    case 'huge-array':
      replace(Array.from({ length: random.pick([1_000, 20_000]) }, (_v, i) => (i % 2 === 0 ? 1 : 'x')));
      break;
    default:
      return { body: wrongType(body, random), kind: 'body:wrong-top-level' };
  }
  return { body, kind: `body:${mutation}` };
}

/** Percent-encodes like encodeURIComponent; a lone surrogate (which UTF-8 cannot carry) goes as U+FFFD. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  }
}

function encodeQuery(entries: readonly (readonly [string, string])[]): string {
  return entries.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
}

function sampleQuery(operation: Operation, sources: CaseSources, random: Random): [string, string][] {
  const entries: [string, string][] = [];
  for (const parameter of operation.query) {
    if (!parameter.required && !random.chance(0.4)) continue;
    const value = sources.sampler.sample(parameter.schema, random, parameter.name);
    entries.push([parameter.name, typeof value === 'string' ? value : JSON.stringify(value)]);
  }
  return entries;
}

function mutateQuery(
  entries: [string, string][],
  operation: Operation,
  random: Random,
): { entries: [string, string][]; kind: string } {
  const names = operation.query.map((q) => q.name);
  const name = names.length > 0 ? random.pick(names) : 'limit';
  const mutation = random.weighted<string>([
    [4, 'hostile-value'],
    [3, 'edge-number'],
    [2, 'repeated'],
    [2, 'unknown-param'],
    [2, 'missing-required'],
    [2, 'invalid-uuid'],
  ]);
  const others = entries.filter(([k]) => k !== name);
  switch (mutation) {
    case 'hostile-value':
      return {
        entries: [...others, [name, hostileString(random).slice(0, 2000)]],
        kind: 'query:hostile-value',
      };
    case 'edge-number':
      return { entries: [...others, [name, String(random.pick(EDGE_NUMBERS))]], kind: 'query:edge-number' };
    case 'repeated':
      return { entries: [...entries, [name, 'a'], [name, 'b']], kind: 'query:repeated' };
    case 'unknown-param':
      return {
        entries: [
          ...entries,
          [random.pick(['__proto__', 'constructor', 'tenantId', 'x']), hostileString(random).slice(0, 500)],
        ],
        kind: 'query:unknown-param',
      };
    case 'missing-required':
      return {
        entries: entries.filter(([k]) => !operation.query.some((q) => q.required && q.name === k)),
        kind: 'query:missing',
      };
    default:
      return { entries: [...others, [name, random.pick(INVALID_UUIDS)]], kind: 'query:invalid-uuid' };
  }
}

/** A path segment that is not a proper id: malformed, encoded, traversing, or long. */
function hostilePathSegment(random: Random): { raw: string; decoded: string | null } {
  const choice = random.weighted<() => { raw: string; decoded: string | null }>([
    // Never empty: an empty segment is another route (the list), not a bad id.
    [
      4,
      () => {
        const v = random.pick(INVALID_UUIDS.filter((id) => id !== ''));
        return { raw: encode(v), decoded: v };
      },
    ],
    [2, () => ({ raw: random.pick(['%E0%A4%A', '%', '%zz', '%C0%AF', '%FF%FE']), decoded: null })],
    [2, () => ({ raw: '..%2F..%2Fetc%2Fpasswd', decoded: '../../etc/passwd' })],
    [
      2,
      () => {
        const v = `x${hostileString(random).slice(0, 1500)}`;
        return { raw: encode(v), decoded: v };
      },
    ],
    [1, () => ({ raw: '%00', decoded: '\u0000' })],
  ]);
  const segment = choice();
  if (segment.decoded === null) return segment;
  try {
    return { raw: segment.raw, decoded: decodeURIComponent(segment.raw) };
  } catch {
    return { raw: segment.raw, decoded: null };
  }
}

/** A request with a body the server cannot read as JSON, or should not accept as a body at all. */
function transportMutation(
  validText: string,
  random: Random,
): { bodyText: string; contentType: string | undefined; contentEncoding?: string; kind: string } {
  const mutation = random.weighted<string>([
    [3, 'truncated'],
    [3, 'broken-json'],
    [3, 'content-type'],
    [1, 'charset'],
    [1, 'bom'],
    [1, 'encoding'],
    [2, 'depth-bomb'],
    [1, 'duplicate-keys'],
    [1, 'oversize'],
    [1, 'empty'],
  ]);
  const json = 'application/json';
  switch (mutation) {
    case 'truncated':
      return {
        bodyText: validText.slice(0, random.int(0, Math.max(0, validText.length - 1))),
        contentType: json,
        kind: 'transport:truncated',
      };
    case 'broken-json':
      return { bodyText: random.pick(BROKEN_JSON_TEXTS), contentType: json, kind: 'transport:broken-json' };
    case 'content-type':
      return {
        bodyText: validText,
        contentType: random.pick([
          undefined,
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/json-patch+json',
          'application/jsonx',
          'json',
          '*/*',
        ]),
        kind: 'transport:content-type',
      };
    case 'charset':
      return {
        bodyText: validText,
        contentType: random.pick([
          'application/json; charset=latin1',
          'application/json; charset=utf-16',
          'application/json; charset=nonsense',
        ]),
        kind: 'transport:charset',
      };
    case 'bom':
      return { bodyText: `\uFEFF${validText}`, contentType: json, kind: 'transport:bom' };
    case 'encoding':
      return {
        bodyText: validText,
        contentType: json,
        contentEncoding: random.pick(['gzip', 'deflate', 'br', 'x-unknown']),
        kind: 'transport:encoding',
      };
    case 'depth-bomb':
      return { bodyText: depthBombText(random), contentType: json, kind: 'transport:depth-bomb' };
    case 'duplicate-keys':
      return {
        bodyText:
          validText.startsWith('{') && validText.length > 2
            ? `{"name":"a","name":"b",${validText.slice(1)}`
            : validText,
        contentType: json,
        kind: 'transport:duplicate-keys',
      };
    case 'oversize':
      return {
        bodyText: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
        contentType: json,
        kind: 'transport:oversize',
      };
    default:
      return { bodyText: '', contentType: json, kind: 'transport:empty' };
  }
}

/**
 * Routes that end or count against the caller's own session (signing out, signing out everywhere, a wrong current
 * password, five of which end the session): sent only without valid credentials, so the fuzzer keeps its own.
 */
const SESSION_ENDING_ROUTES = new Set(['/auth/logout', '/me/sessions/end', '/me/password']);

/**
 * Builds case number `index` for one operation: valid-looking (`valid`), or broken in one way — body, query,
 * path, transport or credentials. The same seed and index always give the same case.
 */
export function buildRestCase(
  index: number,
  operation: Operation,
  sources: CaseSources,
  random: Random,
  allowValid: boolean,
): RestCase {
  const modes: [number, string][] = [];
  if (allowValid) modes.push([5, 'valid']);
  if (operation.body) modes.push([8, 'body'], [4, 'transport']);
  else modes.push([1, 'transport']);
  if (operation.query.length > 0) modes.push([5, 'query']);
  if (operation.pathParams.length > 0) modes.push([3, 'path']);
  modes.push([2, 'auth']);
  const mode = random.weighted(modes);

  const isIngest = operation.routePath === '/ingest';
  const endsOwnSession = SESSION_ENDING_ROUTES.has(operation.routePath);
  let sender: Sender = random.weighted<Sender>([
    [20, 'admin'],
    [2, 'supervisor'],
    [2, 'operator'],
    [2, 'viewer'],
  ]);
  if (mode === 'auth' || endsOwnSession) sender = random.pick<Sender>(['none', 'garbage']);

  let kind: string = mode;
  // Path.
  const params: Record<string, string> = {};
  let paramsDecodable = true;
  let path = operation.routePath;
  for (const name of operation.pathParams) {
    if (mode === 'path') {
      const segment = hostilePathSegment(random);
      path = path.replace(`:${name}`, segment.raw);
      if (segment.decoded === null) paramsDecodable = false;
      else params[name] = segment.decoded;
      kind = 'path:hostile-id';
    } else {
      const id = sources.pathId(operation, random, name);
      path = path.replace(`:${name}`, encode(id));
      params[name] = id;
    }
  }
  // Query.
  let query = sampleQuery(operation, sources, random);
  if (mode === 'query') {
    const mutated = mutateQuery(query, operation, random);
    query = mutated.entries;
    kind = mutated.kind;
  }
  const queryText = encodeQuery(query);
  // Body.
  let bodyText: string | undefined;
  let contentType: string | undefined;
  let contentEncoding: string | undefined;
  if (operation.body) {
    const valid = sources.sampler.sample(operation.body, random);
    let body: Json = valid;
    if (mode === 'body') {
      const mutated = mutateBody(valid, random);
      body = mutated.body;
      kind = mutated.kind;
    }
    bodyText = JSON.stringify(body);
    contentType = 'application/json';
    if (mode === 'transport') {
      const mutated = transportMutation(bodyText, random);
      bodyText = mutated.bodyText;
      contentType = mutated.contentType;
      contentEncoding = mutated.contentEncoding;
      kind = mutated.kind;
    }
  } else if (mode === 'transport') {
    // A body where none is expected, in a type the server refuses or ignores.
    bodyText = random.chance(0.5) ? '{"unexpected":true}' : 'plain text';
    contentType = random.pick(['application/json', 'text/plain', undefined]);
    kind = 'transport:unexpected-body';
  }

  const headers: Record<string, string> = {};
  const token = sources.tokens[sender];
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (isIngest) {
    headers.authorization =
      mode === 'auth'
        ? random.pick(['Basic ' + Buffer.from('nobody:nothing').toString('base64'), 'Basic %%%', 'Bearer x'])
        : sources.deviceAuthorization;
  }
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (contentEncoding !== undefined) headers['content-encoding'] = contentEncoding;
  // GET bodies: HTTP allows them and the server must not trip over one.
  const method = operation.method.toUpperCase();
  return {
    index,
    operation,
    kind,
    sender,
    request: {
      method,
      path: `/api/v1${path}${queryText === '' ? '' : `?${queryText}`}`,
      headers,
      ...(bodyText === undefined ? {} : { body: bodyText }),
    },
    params: paramsDecodable ? params : null,
    queryText,
    bodyText,
    contentType,
    contentEncoding,
  };
}
