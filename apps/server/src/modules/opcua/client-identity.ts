import { hostname } from 'node:os';
import { withTenantClient } from '@tidewatch/db';
import type { OpcuaClientCertificate } from '@tidewatch/shared';
import { webcrypto } from 'node:crypto';
import { CertificatePurpose, createSelfSignedCertificate } from 'node-opcua-crypto';
import type pg from 'pg';
import type { SecretBox } from '../secrets/secret-box.ts';
import { opcuaClientKeyContext } from '../secrets/stored-secrets.ts';
import { derToPem, pemToDer, thumbprintOf } from './certificate-details.ts';

/** A tenant's OPC UA application instance: its certificate (DER) and private key (PEM), opened. */
export interface ClientIdentity {
  readonly tenantId: string;
  readonly applicationUri: string;
  readonly certificate: Buffer;
  readonly privateKeyPem: string;
  readonly thumbprint: string;
  readonly notAfter: Date;
}

interface CertificateRow {
  certificate: Buffer;
  private_key: string;
  application_uri: string;
  thumbprint: string;
  not_after: Date;
}

/** Ten years: a plant server's administrator installs it once; renewing is replacing the row. */
const VALIDITY_DAYS = 3650;

const applicationUriOf = (tenantId: string): string => `urn:tidewatch:${tenantId}:opcua-client`;

/** A self-signed OPC UA application certificate (RSA 2048, SHA-256) for `applicationUri`, and its key. */
export async function makeApplicationCertificate(options: {
  readonly subject: string;
  readonly applicationUri: string;
  readonly dns: string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}): Promise<{ der: Buffer; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${(pkcs8.match(/.{1,64}/g) ?? []).join('\n')}\n-----END PRIVATE KEY-----\n`;
  const made: { cert: string } = await createSelfSignedCertificate({
    privateKey: keys.privateKey,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    subject: options.subject,
    dns: options.dns,
    applicationUri: options.applicationUri,
    purpose: CertificatePurpose.ForApplication,
  });
  const der = pemToDer(made.cert);
  if (!der) throw new Error('the generated OPC UA certificate is not PEM');
  return { der, keyPem };
}

async function makeCertificate(tenantId: string): Promise<{ der: Buffer; keyPem: string; notAfter: Date }> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + VALIDITY_DAYS * 86_400_000);
  const made = await makeApplicationCertificate({
    subject: `/CN=Tidewatch/O=Tidewatch tenant ${tenantId}`,
    applicationUri: applicationUriOf(tenantId),
    dns: [hostname()],
    notBefore,
    notAfter,
  });
  return { ...made, notAfter };
}

/**
 * The tenant's client certificate and key, made and stored (the key sealed) the first time anyone needs it.
 * Two instances making one at once both keep the row stored first.
 */
export async function clientIdentity(
  pool: pg.Pool,
  secrets: SecretBox,
  tenantId: string,
): Promise<ClientIdentity> {
  const context = { tenantId, userId: null, role: null };
  const read = () =>
    withTenantClient(pool, context, async (client) => {
      const { rows } = await client.query<CertificateRow>(
        'SELECT certificate, private_key, application_uri, thumbprint, not_after FROM opcua_client_certificates',
      );
      return rows[0];
    });
  let row = await read();
  if (!row) {
    const made = await makeCertificate(tenantId);
    const sealed = secrets.seal(made.keyPem, opcuaClientKeyContext(tenantId, tenantId));
    await withTenantClient(pool, context, (client) =>
      client.query(
        `INSERT INTO opcua_client_certificates
           (tenant_id, certificate, private_key, application_uri, thumbprint, not_after)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id) DO NOTHING`,
        [tenantId, made.der, sealed, applicationUriOf(tenantId), thumbprintOf(made.der), made.notAfter],
      ),
    );
    row = await read();
    if (!row) throw new Error('the OPC UA client certificate was not stored');
  }
  const privateKeyPem = (
    await secrets.open(row.private_key, opcuaClientKeyContext(tenantId, tenantId))
  ).toString('utf8');
  return {
    tenantId,
    applicationUri: row.application_uri,
    certificate: row.certificate,
    privateKeyPem,
    thumbprint: row.thumbprint,
    notAfter: row.not_after,
  };
}

/** What a plant server's administrator installs: the certificate only, never the key. */
export async function tenantClientCertificate(
  pool: pg.Pool,
  secrets: SecretBox,
  tenantId: string,
): Promise<OpcuaClientCertificate> {
  const identity = await clientIdentity(pool, secrets, tenantId);
  return {
    applicationUri: identity.applicationUri,
    thumbprint: identity.thumbprint,
    notAfter: identity.notAfter.toISOString(),
    certificatePem: derToPem(identity.certificate),
  };
}
