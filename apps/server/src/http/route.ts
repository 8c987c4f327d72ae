import { can, type Permission, type ProblemCode, type SignInStep } from '@tidewatch/shared';
import { signInIncomplete } from '../modules/auth/sign-in-steps.ts';
import type { IncomingHttpHeaders } from 'node:http';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { isChangedAuthority } from '../modules/database-errors.ts';
import { AppError, isRefusal } from './app-error.ts';
import { binaryBody } from './binary-body.ts';
import { idempotencyKeyOf, requestHash, type IdempotencyKeys } from './idempotency.ts';
import type { AuthenticatedContext, RequestContext, TenantContext } from './request-context.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * A response body already serialized (hot lists PostgreSQL wrote as JSON, CSV exports, vector tiles), sent as
 * is. `T` is the shape a JSON body promises; the route's response schema documents it and tests check it.
 * `status` overrides the route's own for this answer (304 Not Modified, 204 for an empty tile).
 */
export class RawBody<T> {
  declare private readonly shape: T;
  constructor(
    /** A Buffer when the same body is sent many times (cached lists): encoded once, not per response. */
    readonly text: string | Buffer,
    readonly contentType = 'application/json',
    readonly headers: Readonly<Record<string, string>> = {},
    readonly status?: 200 | 204 | 304,
    /** The same body gzipped, sent to clients that accept gzip (its ETag gets a `-gzip` suffix). */
    readonly gzip?: Buffer,
  ) {}
}

type Body<R> = R | RawBody<R>;

/** How a raw body goes out: the bytes, and whether they are its gzipped copy (and so vary by Accept-Encoding). */
export interface RawBodyAnswer {
  readonly body: string | Buffer;
  readonly gzipped: boolean;
  /** There is a gzipped copy: the answer depends on the request's Accept-Encoding. */
  readonly variesByEncoding: boolean;
  /** The ETag to send: a gzipped answer's gets a `-gzip` suffix, so caches keep the two apart. */
  readonly etag: string | undefined;
}

/** What a raw body answers a request that does (or does not) accept gzip, with the ETag the route set. */
export function rawBodyAnswer(
  result: RawBody<unknown>,
  acceptsGzip: () => boolean,
  etag: string | undefined,
): RawBodyAnswer {
  if (!result.gzip) return { body: result.text, gzipped: false, variesByEncoding: false, etag };
  if (!acceptsGzip()) return { body: result.text, gzipped: false, variesByEncoding: true, etag };
  return {
    body: result.gzip,
    gzipped: true,
    variesByEncoding: true,
    etag: etag === undefined ? undefined : `${etag.slice(0, -1)}-gzip"`,
  };
}

interface Input<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The request's headers, for the few routes that answer conditionally or by encoding (map tiles). */
  readonly headers: IncomingHttpHeaders;
}

interface RouteBase<P, Q, B, R> {
  readonly method: Method;
  /** Express path under /api/v1, e.g. `/zones/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /**
   * A hand-written check that accepts and refuses exactly what `body` does (proved by a test), for bodies on the
   * hot path: an accepted body is not parsed again; a refused one is parsed with `body`, which says why.
   */
  readonly bodyCheck?: (body: unknown) => B | null;
  /** null: 204 No Content. */
  readonly response: z.ZodType<R> | null;
  readonly status?: 200 | 201 | 202 | 204;
  /** The media type of a success body that is not JSON (vector tiles); the response schema then describes it. */
  readonly contentType?: string;
  /** A larger body limit than the default, for imports. */
  readonly largeBody?: boolean;
  /**
   * The body is a file's bytes (an upload), read up to `maxBytes` and handed to the handler as a Buffer in
   * `body`; `body` (the schema) is then not given. What the bytes are is for the handler to judge from them.
   */
  readonly binaryBody?: { readonly maxBytes: number; readonly description: string };
  /**
   * A request with an `Idempotency-Key` header is applied once: sent again with the same key it is answered as
   * the first time (see IdempotencyKeys). For actions a client may queue and resend (the field app's).
   */
  readonly idempotent?: boolean;
  /** Extra middleware run after body parsing (rate limits keyed on the body). */
  readonly before?: readonly RequestHandler[];
  /**
   * A public route's own authentication (a device's Basic credentials), run before the body is read; it calls
   * `next` with an error to refuse. Such a route gets the default body limit instead of the small public one.
   */
  readonly guard?: RequestHandler;
  /** Problems beyond the usual ones the route may answer with (an upstream service's failures), for OpenAPI. */
  readonly problems?: readonly ProblemCode[];
  /**
   * Sign-in steps during which the route answers (`'any'`: /me, logout). Others refuse a session that still
   * owes a step with 403 `sign_in_incomplete`.
   */
  readonly duringSignIn?: 'any' | readonly SignInStep[];
  /**
   * The route answers from the caller's principal alone (/me), with no transaction of its own to confirm it: the
   * principal is read from the database, never from the cache.
   */
  readonly freshPrincipal?: boolean;
  /**
   * Answered on the direct lane when the request allows (see direct-lane.ts): for the lists every open console
   * polls. A GET tenant route without path parameters, body, extra middleware or idempotency.
   */
  readonly direct?: boolean;
}

/** A route anyone may call (login, refresh). */
export interface PublicRoute<P, Q, B, R> extends RouteBase<P, Q, B, R> {
  readonly access: 'public';
  readonly handler: (input: Input<P, Q, B>, ctx: RequestContext, res: Response) => Promise<Body<R>>;
}

/** A route for any signed-in user, in or outside a tenant (me, logout, the tenant list). */
export interface SignedInRoute<P, Q, B, R> extends RouteBase<P, Q, B, R> {
  readonly access: 'signed_in';
  readonly permission?: Permission;
  readonly handler: (input: Input<P, Q, B>, ctx: AuthenticatedContext) => Promise<Body<R>>;
}

/** A route acting inside one tenant, needing one permission. */
export interface TenantRoute<P, Q, B, R> extends RouteBase<P, Q, B, R> {
  readonly access: 'tenant';
  readonly permission: Permission;
  readonly handler: (input: Input<P, Q, B>, ctx: TenantContext) => Promise<Body<R>>;
}

export type RouteDefinition<P = unknown, Q = unknown, B = unknown, R = unknown> =
  PublicRoute<P, Q, B, R> | SignedInRoute<P, Q, B, R> | TenantRoute<P, Q, B, R>;

/** Erased form kept in the registry; `defineRoute` keeps each handler's own types checked. */
export type AnyRoute = RouteDefinition<never, never, never>;

/**
 * Declares one REST route: its schemas validate the request, its permission is checked against the shared
 * matrix, and the OpenAPI document is generated from the same declaration.
 * @example
 * defineRoute({ method: 'get', path: '/zones/:id', access: 'tenant', permission: 'zone:read', ... })
 */
export function defineRoute<P, Q, B, R>(route: RouteDefinition<P, Q, B, R>): AnyRoute {
  return route as unknown as AnyRoute;
}

function parseBody(
  schema: z.ZodType,
  check: ((body: unknown) => unknown) | undefined,
  body: unknown,
): unknown {
  const checked = check ? check(body) : null;
  return checked ?? schema.parse(body);
}

/** What the context resolver reads of a request, whichever way it came in (Express or the direct lane). */
export interface CallerRequest {
  readonly requestId: string;
  /** The client's address (behind a trusted proxy, the one it forwarded). */
  readonly ip: string | null;
  header(name: string): string | undefined;
}

/**
 * Builds a request's context; with `authenticate: false` (public routes) the Authorization header is not read, with
 * `fresh` the principal is read from the database rather than the cache.
 */
export type ContextResolver = (
  caller: CallerRequest,
  authenticate: boolean,
  fresh?: boolean,
) => Promise<RequestContext>;

function expressCaller(req: Request, res: Response): CallerRequest {
  return {
    requestId: String(res.locals.requestId),
    ip: req.ip ?? null,
    header: (name) => req.get(name),
  };
}

/** The caller's context for `route`, or the refusal: not signed in, not allowed, no tenant chosen. */
export async function judgeCaller(
  route: AnyRoute,
  resolveContext: ContextResolver,
  caller: CallerRequest,
  fresh: boolean,
): Promise<RequestContext> {
  const ctx = await resolveContext(caller, route.access !== 'public', fresh);
  if (route.access !== 'public') requirePermission(ctx, route.permission, route.duringSignIn);
  if (route.access === 'tenant' && ctx.tenantId === null) {
    throw new AppError('tenant_required', 'Choose a tenant with the X-Tenant-Id header');
  }
  return ctx;
}

function requirePermission(
  ctx: RequestContext,
  permission: Permission | undefined,
  duringSignIn: RouteBase<unknown, unknown, unknown, unknown>['duringSignIn'],
): void {
  if (!ctx.principal) throw new AppError('unauthenticated', 'Sign in first');
  const step = ctx.principal.pendingStep;
  if (step !== null && duringSignIn !== 'any' && !duringSignIn?.includes(step)) throw signInIncomplete(step);
  if (permission && !can(ctx.principal.role, permission)) {
    throw new AppError('forbidden', `Your role may not ${permission.replace(':', ' ')}`);
  }
}

export interface BodyParsers {
  /** Signed-in routes and guarded public routes. */
  readonly jsonBody: RequestHandler;
  /** Routes declared with `largeBody` (imports), once the caller is known. */
  readonly largeJsonBody: RequestHandler;
  /** Public routes without a guard (sign-in, refresh): anyone may send these, so they are kept small. */
  readonly publicJsonBody: RequestHandler;
  /** Where the answers of `idempotent` routes are kept. */
  readonly idempotency: IdempotencyKeys;
}

/** The first segment of a path, lower-cased as the router matches it: `/alerts/7/comments` → `alerts`. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return (end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/**
 * Mounts routes on a router: authenticate and authorize, then read and validate the body, run, serialize. The
 * body is read only once the caller is known (or for the small public routes), so an anonymous sender cannot make
 * the server read and parse megabytes.
 *
 * Routes are grouped by their first path segment (every route path starts with a literal one), and a request goes
 * straight to its group: the router tries each route in order until one matches, and walking some hundred routes
 * to reach `/alerts` cost every request more than its own handler's JavaScript.
 */
export function mountRoutes(
  router: Router,
  routes: readonly AnyRoute[],
  options: { resolveContext: ContextResolver } & BodyParsers,
): void {
  const groups = new Map<string, Router>();
  for (const route of routes) {
    const segment = firstSegment(route.path);
    if (segment === '' || /[:*?(){}]/.test(segment))
      throw new Error(`route ${route.path} must start with a literal path segment`);
    let group = groups.get(segment);
    if (!group) {
      group = Router();
      groups.set(segment, group);
    }
    mountRoute(group, route, options);
  }
  router.use((req, res, next) => {
    const group = groups.get(firstSegment(req.path));
    if (group) group(req, res, next);
    else next();
  });
}

function mountRoute(
  router: Router,
  route: AnyRoute,
  options: { resolveContext: ContextResolver } & BodyParsers,
): void {
  const judge = (req: Request, res: Response, fresh: boolean): Promise<RequestContext> =>
    judgeCaller(route, options.resolveContext, expressCaller(req, res), fresh);
  const authorize: RequestHandler = async (req, res, next) => {
    let fresh = route.freshPrincipal === true;
    let ctx: RequestContext;
    try {
      ctx = await judge(req, res, fresh);
    } catch (error) {
      // A cached role may be behind a promotion made a moment ago on another instance: a refusal is confirmed
      // against the database before it is given.
      if (fresh || route.access === 'public' || !isRefusal(error)) throw error;
      fresh = true;
      ctx = await judge(req, res, true);
    }
    res.locals.requestContext = ctx;
    res.locals.freshPrincipal = fresh;
    next();
  };
  const respond = async (req: Request, res: Response, ctx: RequestContext): Promise<void> => {
    const input = {
      params: (route.params ? route.params.parse(req.params) : {}) as never,
      query: (route.query ? route.query.parse(req.query) : {}) as never,
      body: (route.binaryBody
        ? (req.body as Buffer)
        : route.body
          ? parseBody(route.body, route.bodyCheck, req.body ?? {})
          : {}) as never,
      headers: req.headers,
    };
    const status = route.status ?? (route.response === null ? 204 : 200);
    const key = route.idempotent && route.access === 'tenant' ? idempotencyKeyOf(req) : null;
    const tenantCtx = ctx as TenantContext;
    if (key !== null) {
      const claim = await options.idempotency.claim(tenantCtx, key, requestHash(req));
      if (claim.kind === 'replay') {
        res.status(claim.status).set('Idempotent-Replayed', 'true');
        if (claim.status === 204) res.end();
        else res.json(claim.body);
        return;
      }
    }
    let result: unknown;
    try {
      result =
        route.access === 'public'
          ? await route.handler(input, ctx, res)
          : await route.handler(input, tenantCtx);
    } catch (error) {
      if (key !== null) await options.idempotency.release(tenantCtx, key);
      throw error;
    }
    if (key !== null) {
      // Idempotent routes answer JSON; a raw body is not kept, so its request may be sent again.
      if (result instanceof RawBody) await options.idempotency.release(tenantCtx, key);
      else
        await options.idempotency.complete(
          tenantCtx,
          key,
          status,
          route.response === null ? undefined : result,
        );
    }
    if (route.response === null) {
      res.status(status).end();
      return;
    }
    if (result instanceof RawBody) {
      res.status(result.status ?? status).set(result.headers);
      if (result.status === 204 || result.status === 304) {
        res.end();
        return;
      }
      res.type(result.contentType);
      const etag = res.get('ETag');
      const answer = rawBodyAnswer(
        result,
        () => req.acceptsEncodings('gzip', 'identity') === 'gzip',
        typeof etag === 'string' ? etag : undefined,
      );
      if (answer.variesByEncoding) res.vary('Accept-Encoding');
      if (answer.etag !== undefined) res.set('ETag', answer.etag);
      if (answer.gzipped) res.set('Content-Encoding', 'gzip');
      res.send(answer.body);
      return;
    }
    res.status(status).json(result);
  };
  const handler: RequestHandler = async (req, res) => {
    try {
      await respond(req, res, res.locals.requestContext as RequestContext);
    } catch (error) {
      // The request's transaction refused its cached principal before doing anything (the role, tenant or zones
      // changed a moment ago, perhaps on another instance), or the handler refused what the cached zones did not
      // cover: the request is judged and run again as the database has the caller now. Only once: a second
      // refusal by the transaction is answered 409.
      const stale = isChangedAuthority(error) || (isRefusal(error) && res.locals.freshPrincipal !== true);
      if (route.access === 'public' || !stale || res.headersSent) throw error;
      const current = await judge(req, res, true);
      res.locals.requestContext = current;
      await respond(req, res, current);
    }
  };
  if (route.access === 'public') {
    const body = route.guard ? options.jsonBody : options.publicJsonBody;
    // A public route's body first: a limiter may key on it (the e-mail of a sign-in); it is small.
    const guard = route.guard ? [route.guard] : [];
    router[route.method](route.path, ...guard, body, ...(route.before ?? []), authorize, handler);
  } else {
    const body = route.binaryBody
      ? binaryBody(route.binaryBody.maxBytes)
      : route.largeBody
        ? options.largeJsonBody
        : options.jsonBody;
    router[route.method](route.path, authorize, body, ...(route.before ?? []), handler);
  }
}
