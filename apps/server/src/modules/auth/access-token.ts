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
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string')
        throw new Error('claims missing');
      return { userId: payload.sub, sessionId: payload.sid };
    } catch (error) {
      const expired = error instanceof errors.JWTExpired;
      throw new AppError(
        'unauthenticated',
        expired ? 'The access token has expired' : 'The access token is not valid',
      );
    }
  }
}
