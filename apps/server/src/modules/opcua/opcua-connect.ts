import type { OpcuaSecurityMode, OpcuaSecurityPolicy } from '@tidewatch/shared';
import {
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  type ClientSession,
  type UserIdentityInfo,
} from 'node-opcua-client';
import { makePrivateKeyFromPem } from 'node-opcua-crypto';
import type pg from 'pg';
import type { ClientIdentity } from './client-identity.ts';
import { TenantTrustStore } from './tenant-trust-store.ts';

/** Where to connect and as whom. */
export interface ConnectTarget {
  readonly tenantId: string;
  readonly deviceId: string;
  readonly endpointUrl: string;
  readonly securityPolicy: OpcuaSecurityPolicy;
  readonly securityMode: OpcuaSecurityMode;
  readonly username: string | null;
}

export interface ConnectDeps {
  readonly pool: pg.Pool;
  readonly identity: (tenantId: string) => Promise<ClientIdentity>;
  readonly timeoutMs: number;
  /** node-opcua's own back-off when it repairs a lost connection (it retries until closed). */
  readonly reconnectDelay: { readonly initialMs: number; readonly maxMs: number };
}

/** A connected client with its session, and what it learnt of the server's certificate. */
export interface EndpointClient {
  readonly client: OPCUAClient;
  readonly session: ClientSession;
  readonly trust: TenantTrustStore;
  readonly serverThumbprint: string | undefined;
  close(): Promise<void>;
}

/** Why a connection was not made: the certificate is not trusted (yet), or anything else. */
export class ConnectFailure extends Error {
  constructor(
    readonly kind: 'untrusted' | 'failed',
    message: string,
    readonly thumbprint?: string,
  ) {
    super(message);
    this.name = 'ConnectFailure';
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${what} took longer than ${String(ms)} ms`));
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

/** node-opcua's messages carry stack-like detail over several lines; the first says what happened. */
export function describeFailure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((line) => line.trim() !== '') ?? 'unknown error').trim().slice(0, 300);
}

/**
 * Connects to an endpoint as the tenant's OPC UA application (its own certificate), checks the server's
 * certificate against the tenant's trust list (for Sign and SignAndEncrypt), and opens a session, anonymous or
 * as `username`. Throws a ConnectFailure.
 */
export async function openClient(
  target: ConnectTarget,
  password: string | null,
  deps: ConnectDeps,
): Promise<EndpointClient> {
  const identity = await deps.identity(target.tenantId);
  const trust = new TenantTrustStore(deps.pool, target.tenantId, target.endpointUrl, identity.thumbprint);
  const client = OPCUAClient.create({
    applicationName: 'Tidewatch',
    applicationUri: identity.applicationUri,
    clientName: `tidewatch-${target.deviceId}`,
    securityMode: MessageSecurityMode[target.securityMode],
    securityPolicy: SecurityPolicy[target.securityPolicy],
    endpointMustExist: false,
    keepSessionAlive: true,
    requestedSessionTimeout: 120_000,
    // One retry for a first connection (the caller backs off); a lost one is repaired until closed.
    connectionStrategy: {
      maxRetry: 1,
      initialDelay: deps.reconnectDelay.initialMs,
      maxDelay: deps.reconnectDelay.maxMs,
    },
    certificateKeyPairProvider: {
      getCertificate: () => identity.certificate,
      getCertificateChain: () => [identity.certificate],
      getPrivateKey: () => makePrivateKeyFromPem(identity.privateKeyPem),
    },
    clientCertificateManager: trust,
  });
  const user: UserIdentityInfo =
    target.username === null
      ? { type: UserTokenType.Anonymous }
      : { type: UserTokenType.UserName, userName: target.username, password: password ?? '' };
  try {
    await withTimeout(client.connect(target.endpointUrl), deps.timeoutMs * 2, 'connecting');
    const session = await withTimeout(client.createSession(user), deps.timeoutMs, 'opening a session');
    return {
      client,
      session,
      trust,
      serverThumbprint: trust.lastVerdict?.thumbprint || undefined,
      async close() {
        await session.close(true).catch(() => undefined);
        await client.disconnect().catch(() => undefined);
      },
    };
  } catch (error) {
    await client.disconnect().catch(() => undefined);
    const verdict = trust.lastVerdict;
    if (verdict && !verdict.trusted) {
      throw new ConnectFailure(
        'untrusted',
        verdict.reason === 'expired'
          ? `the server's certificate ${verdict.thumbprint} is out of its validity period`
          : verdict.reason === 'rejected'
            ? `the server's certificate ${verdict.thumbprint} is refused by the trust list`
            : `the server's certificate ${verdict.thumbprint} is not trusted yet: a tenant administrator approves it in the trust list`,
        verdict.thumbprint || undefined,
      );
    }
    throw new ConnectFailure('failed', describeFailure(error));
  }
}
