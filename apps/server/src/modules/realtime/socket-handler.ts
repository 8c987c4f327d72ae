import { randomUUID } from 'node:crypto';
import { describeDatabaseError } from '@tidewatch/db';
import {
  can,
  realtimeRequestSchemas,
  type Ack,
  type ClientToServerEvents,
  type Permission,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { AppError, isRefusal } from '../../http/app-error.ts';
import { toProblem } from '../../http/problem.ts';
import type { Principal, TenantContext } from '../../http/request-context.ts';
import { isChangedAuthority } from '../database-errors.ts';
import type { RealtimeMetrics } from './realtime-metrics.ts';
import type { RealtimeSocket } from './realtime-types.ts';
import type { SocketSession } from './socket-session.ts';

export type RequestName = keyof ClientToServerEvents;
type AnswerOf<E extends RequestName> =
  Parameters<Parameters<ClientToServerEvents[E]>[1]>[0] extends Ack<infer T> ? T : never;
type InputOf<E extends RequestName> = z.output<(typeof realtimeRequestSchemas)[E]>;

export interface RequestHandler<E extends RequestName> {
  /** Checked against the shared matrix before the input is read, as for REST. */
  readonly permission?: Permission;
  readonly handle: (input: InputOf<E>, ctx: TenantContext, session: SocketSession) => Promise<AnswerOf<E>>;
}

/**
 * Registers one request: the permission is checked, the payload parsed with the shared schema, the service called
 * with a request context, and the acknowledgement answers `{ ok: true, data }` or the problem REST would answer
 * with. A request without an acknowledgement callback is refused (counted and logged).
 * @example onRequest(socket, metrics, 'alert:acknowledge', { permission: 'alert:acknowledge', handle: ... })
 */
export function onRequest<E extends RequestName>(
  socket: RealtimeSocket,
  metrics: RealtimeMetrics,
  event: E,
  handler: RequestHandler<E>,
): void {
  // Indexing by a generic key loses the pairing of event and schema that the shared map keeps.
  const schema = realtimeRequestSchemas[event] as unknown as z.ZodType<InputOf<E>>;
  const listener = (payload: unknown, ack: unknown): void => {
    const { session } = socket.data;
    if (typeof ack !== 'function') {
      metrics.requests.inc({ event, status: '400' });
      session.log.info({ event, socketId: socket.id }, 'socket request refused: no acknowledgement callback');
      return;
    }
    const answer = ack as (answer: Ack<AnswerOf<E>>) => void;
    const requestId = randomUUID();
    const run = async (principal: Principal): Promise<AnswerOf<E>> => {
      if (handler.permission && !can(principal.role, handler.permission)) {
        throw new AppError('forbidden', `Your role may not ${handler.permission.replace(':', ' ')}`);
      }
      return handler.handle(schema.parse(payload), session.context(requestId, principal), session);
    };
    // As for REST: the socket's principal may be a moment behind a change made elsewhere (the revalidator replaces
    // it when the announcement arrives). A transaction that refused it, or a refusal given with it, is judged
    // again with the principal read now, once.
    const runConfirmed = async (): Promise<AnswerOf<E>> => {
      try {
        return await run(session.principal);
      } catch (error) {
        const stale = isChangedAuthority(error) || isRefusal(error);
        if (!stale) throw error;
        const current = await session.readPrincipal();
        if (!current) throw new AppError('unauthenticated', 'The session has ended; sign in again');
        return run(current);
      }
    };
    runConfirmed().then(
      (data) => {
        metrics.requests.inc({ event, status: '200' });
        answer({ ok: true, data });
      },
      (error: unknown) => {
        const problem = toProblem(error, requestId, event);
        metrics.requests.inc({ event, status: String(problem.status) });
        if (problem.transient) {
          session.log.warn(
            { event, requestId, reason: describeDatabaseError(problem.cause) },
            'socket request answered 503: database busy or away',
          );
        } else if (problem.status >= 500) {
          session.log.error({ err: problem.cause, event, requestId }, 'socket request failed');
        } else {
          session.log.info(
            {
              event,
              requestId,
              status: problem.status,
              detail: problem.body.detail,
              errors: problem.body.errors,
            },
            'socket request refused',
          );
        }
        answer({ ok: false, problem: problem.body });
      },
    );
  };
  socket.on(event, listener as ClientToServerEvents[E] as never);
}
