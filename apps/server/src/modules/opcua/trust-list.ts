import { withTenant, withTenantClient, type Database, type TenantTransaction } from '@tidewatch/db';
import type { OpcuaCertificateStatus, OpcuaServerCertificate } from '@tidewatch/shared';
import type pg from 'pg';
import { invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { certificateDetails, pemToDer, type CertificateDetails } from './certificate-details.ts';

interface CertificateRow {
  id: string;
  thumbprint: string;
  subject: string;
  applicationUri: string | null;
  notBefore: Date | null;
  notAfter: Date | null;
  status: string;
  endpointUrl: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  decidedAt: Date | null;
}

const toCertificate = (row: CertificateRow): OpcuaServerCertificate => ({
  id: row.id,
  thumbprint: row.thumbprint,
  subject: row.subject,
  applicationUri: row.applicationUri,
  notBefore: row.notBefore?.toISOString() ?? null,
  notAfter: row.notAfter?.toISOString() ?? null,
  status: row.status as OpcuaCertificateStatus,
  endpointUrl: row.endpointUrl,
  firstSeenAt: row.firstSeenAt.toISOString(),
  lastSeenAt: row.lastSeenAt.toISOString(),
  decidedAt: row.decidedAt?.toISOString() ?? null,
});

/**
 * Bindings refused for this certificate are let go by their holder, so the next claim connects at once with
 * the decision instead of waiting out its back-off.
 */
async function retryRefusedBindings(tx: TenantTransaction, thumbprint: string): Promise<void> {
  await tx.opcuaBinding.updateMany({
    where: { serverThumbprint: thumbprint, state: { in: ['untrusted', 'failed', 'connecting'] } },
    data: { claimToken: null, claimedBy: null, leaseUntil: null, consecutiveFailures: 0 },
  });
}

export function listServerCertificates(
  db: Database,
  ctx: TenantContext,
  status: OpcuaCertificateStatus | undefined,
): Promise<OpcuaServerCertificate[]> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const rows = await tx.opcuaServerCertificate.findMany({
      where: status ? { status } : {},
      orderBy: [{ lastSeenAt: 'desc' }, { id: 'asc' }],
      take: 500,
    });
    return rows.map(toCertificate);
  });
}

/** A plant server's certificate, trusted (or refused) before the connector meets it. */
export function addServerCertificate(
  db: Database,
  ctx: TenantContext,
  body: { certificatePem: string; status: 'trusted' | 'rejected' },
): Promise<OpcuaServerCertificate> {
  const der = pemToDer(body.certificatePem);
  let details: CertificateDetails;
  try {
    if (!der) throw new Error('no certificate');
    details = certificateDetails(der);
  } catch {
    throw invalid('certificatePem', 'not a readable X.509 certificate in PEM form');
  }
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const decided = { status: body.status, decidedBy: ctx.principal.userId, decidedAt: new Date() };
    const row = await tx.opcuaServerCertificate.upsert({
      where: { tenantId_thumbprint: { tenantId: ctx.tenantId, thumbprint: details.thumbprint } },
      create: {
        tenantId: ctx.tenantId,
        thumbprint: details.thumbprint,
        certificate: new Uint8Array(details.der),
        subject: details.subject,
        applicationUri: details.applicationUri,
        notBefore: details.notBefore,
        notAfter: details.notAfter,
        ...decided,
      },
      update: decided,
    });
    await recordAudit(tx, ctx, {
      action: body.status === 'trusted' ? 'opcua.certificate.trust' : 'opcua.certificate.reject',
      resourceType: 'opcua_server_certificate',
      resourceId: row.id,
      details: { thumbprint: row.thumbprint, subject: row.subject },
    });
    await retryRefusedBindings(tx, row.thumbprint);
    return toCertificate(row);
  });
}

/** Trusts or refuses a certificate of the list; bindings it held back connect at once. */
export function decideServerCertificate(
  db: Database,
  ctx: TenantContext,
  id: string,
  status: 'trusted' | 'rejected',
): Promise<OpcuaServerCertificate> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const found = await tx.opcuaServerCertificate.findUnique({ where: { id } });
    if (!found) throw notFound('Server certificate');
    const row = await tx.opcuaServerCertificate.update({
      where: { id },
      data: { status, decidedBy: ctx.principal.userId, decidedAt: new Date() },
    });
    await recordAudit(tx, ctx, {
      action: status === 'trusted' ? 'opcua.certificate.trust' : 'opcua.certificate.reject',
      resourceType: 'opcua_server_certificate',
      resourceId: id,
      details: { thumbprint: row.thumbprint, subject: row.subject },
    });
    await retryRefusedBindings(tx, row.thumbprint);
    return toCertificate(row);
  });
}

export function removeServerCertificate(db: Database, ctx: TenantContext, id: string): Promise<void> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const deleted = await tx.opcuaServerCertificate.deleteMany({ where: { id } });
    if (deleted.count === 0) throw notFound('Server certificate');
    await recordAudit(tx, ctx, {
      action: 'opcua.certificate.remove',
      resourceType: 'opcua_server_certificate',
      resourceId: id,
    });
  });
}

/**
 * The connector's question: does the tenant trust the certificate an endpoint presented? One it has never seen
 * is added as pending, for an administrator to approve; the answer is then no.
 */
export async function checkServerCertificate(
  pool: pg.Pool,
  tenantId: string,
  der: Uint8Array,
  endpointUrl: string,
): Promise<{ readonly status: OpcuaCertificateStatus; readonly thumbprint: string }> {
  const details = certificateDetails(der);
  return withTenantClient(pool, { tenantId, userId: null, role: null }, async (client) => {
    const { rows } = await client.query<{ status: OpcuaCertificateStatus }>({
      name: 'opcua-certificate-seen',
      text: `INSERT INTO opcua_server_certificates
               (tenant_id, thumbprint, certificate, subject, application_uri, not_before, not_after, endpoint_url)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant_id, thumbprint)
               DO UPDATE SET last_seen_at = now(), endpoint_url = EXCLUDED.endpoint_url
             RETURNING status`,
      values: [
        tenantId,
        details.thumbprint,
        details.der,
        details.subject,
        details.applicationUri,
        details.notBefore,
        details.notAfter,
        endpointUrl.slice(0, 500),
      ],
    });
    return { status: rows[0]?.status ?? 'pending', thumbprint: details.thumbprint };
  });
}
