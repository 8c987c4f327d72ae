import type { DbContext } from '@tidewatch/db';
import type { Logger } from '../../logger.ts';
import type { Principal, TenantContext } from '../../http/request-context.ts';

/**
 * Who a socket acts for, as the database said at the last check. The principal is replaced when the user's role
 * or zones change; the tenant never changes for the life of a socket.
 */
export class SocketSession {
  constructor(
    public principal: Principal,
    readonly tenantId: string,
    /** When the access token the socket presented expires (epoch ms); `session:renew` moves it. */
    public expiresAt: number,
    readonly origin: { readonly ip: string | null; readonly userAgent: string | null },
    /** The gateway's logger; a child naming the user is made only when this socket logs something. */
    private readonly baseLog: Logger,
    /** The user behind the socket's session as the database has it now; null once the session has ended. */
    readonly readPrincipal: () => Promise<Principal | null>,
  ) {}

  private userLog: Logger | undefined;

  /** A logger naming the user and tenant, made on first use: thousands of sockets log nothing. */
  get log(): Logger {
    this.userLog ??= this.baseLog.child({ userId: this.principal.userId, tenantId: this.tenantId });
    return this.userLog;
  }

  /** The zones the user is limited to, or null for the whole tenant. */
  get zones(): readonly string[] | null {
    return this.principal.zoneIds.length === 0 ? null : this.principal.zoneIds;
  }

  /** The row-level-security context of the socket's user. */
  dbContext(): DbContext {
    return { tenantId: this.tenantId, userId: this.principal.userId, role: this.principal.role };
  }

  /**
   * The context a service call receives, as a REST request would give it; `principal` for a request judged with
   * one read a moment ago (the socket's own is replaced by the revalidator, which also moves its rooms).
   */
  context(requestId: string, principal: Principal = this.principal): TenantContext {
    return {
      requestId,
      ip: this.origin.ip,
      userAgent: this.origin.userAgent,
      log: this.baseLog.child({ requestId, userId: principal.userId, tenantId: this.tenantId }),
      principal,
      tenantId: this.tenantId,
    };
  }
}
