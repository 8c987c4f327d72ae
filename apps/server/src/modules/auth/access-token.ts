import { errors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../../http/app-error.ts';

const ISSUER = 'tidewatch';
const AUDIENCE = 'tidewatch-api';

export interface AccessTokenClaims {
  readonly userId: string;
  readonly sessionId: string;
}

/**
 * Short-lived HS256 tokens that name the user and the session, and nothing the server would trust: role and
 * tenant are read from the database on every request.
 */
export class AccessTokens {
  /**
   * Tokens already verified, until they expire: skips the signature check on repeat requests. It holds claims
   * only (user and session), never authority; bounded, oldest dropped first.
   */
  private readonly verified = new Map<string, AccessTokenClaims & { expiresAt: number }>();
  private static readonly CACHE_SIZE = 10_000;

  constructor(
    private readonly key: Uint8Array,
    readonly ttlSeconds: number,
  ) {}

  issue(claims: AccessTokenClaims): Promise<string> {
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${String(this.ttlSeconds)}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const cached = this.verified.get(token);
    if (cached && cached.expiresAt > Date.now())
      return { userId: cached.userId, sessionId: cached.sessionId };
    if (cached) this.verified.delete(token);
    const claims = await this.verifySignature(token);
    if (this.verified.size >= AccessTokens.CACHE_SIZE) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, claims);
    return { userId: claims.userId, sessionId: claims.sessionId };
  }

  private async verifySignature(token: string): Promise<AccessTokenClaims & { expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || payload.exp === undefined) {
        throw new Error('claims missing');
      }
      return { userId: payload.sub, sessionId: payload.sid, expiresAt: payload.exp * 1000 };
    } catch (error) {
      const expired = error instanceof errors.JWTExpired;
      throw new AppError(
        'unauthenticated',
        expired ? 'The access token has expired' : 'The access token is not valid',
      );
    }
  }
}
