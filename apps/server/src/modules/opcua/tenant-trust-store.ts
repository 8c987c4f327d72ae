import { StatusCodes, type StatusCode } from 'node-opcua-client';
import type { ICertificateStore } from 'node-opcua-common';
import type pg from 'pg';
import { certificateDetails } from './certificate-details.ts';
import { checkServerCertificate } from './trust-list.ts';

type Certificate = Buffer;

/** What the last check of a presented certificate found, for the binding's state. */
export interface TrustVerdict {
  readonly thumbprint: string;
  readonly trusted: boolean;
  readonly reason: 'trusted' | 'pending' | 'rejected' | 'expired' | 'unreadable';
}

/**
 * node-opcua's certificate store for one tenant's client: the server certificate an endpoint presents is
 * trusted only if the tenant's trust list says so. One it has never met is stored as pending for an
 * administrator; until approved the connection is refused. The client's own certificate is not kept here.
 */
export class TenantTrustStore implements ICertificateStore {
  referenceCounter = 0;
  lastVerdict: TrustVerdict | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly tenantId: string,
    private readonly endpointUrl: string,
    /** node-opcua checks the client's own certificate too: that one is ours, trusted and never listed. */
    private readonly ownThumbprint: string,
  ) {}

  async initialize(): Promise<void> {
    // The trust list lives in the database.
  }

  dispose(): Promise<void> {
    if (this.referenceCounter > 0) this.referenceCounter -= 1;
    return Promise.resolve();
  }

  async checkCertificate(certificate: Certificate | Certificate[]): Promise<StatusCode> {
    const der = Array.isArray(certificate) ? certificate[0] : certificate;
    if (der && der.length > 0 && certificateDetails(der).thumbprint === this.ownThumbprint)
      return StatusCodes.Good;
    const verdict = await this.verdict(certificate);
    if (verdict.trusted) return StatusCodes.Good;
    return verdict.reason === 'expired'
      ? StatusCodes.BadCertificateTimeInvalid
      : StatusCodes.BadCertificateUntrusted;
  }

  async verifyCertificate(certificate: Certificate | Certificate[]): Promise<string> {
    return (await this.checkCertificate(certificate)).name;
  }

  async getTrustStatus(certificate: Certificate): Promise<StatusCode> {
    return this.checkCertificate(certificate);
  }

  async trustCertificate(): Promise<void> {
    // Only a tenant administrator trusts a certificate, through the trust list.
  }

  async rejectCertificate(): Promise<void> {
    // Only a tenant administrator refuses a certificate, through the trust list.
  }

  addIssuer(): Promise<unknown> {
    return Promise.resolve(undefined);
  }

  addRevocationList(): Promise<unknown> {
    return Promise.resolve(undefined);
  }

  private async verdict(certificate: Certificate | Certificate[]): Promise<TrustVerdict> {
    const der = Array.isArray(certificate) ? certificate[0] : certificate;
    let verdict: TrustVerdict;
    if (!der || der.length === 0) {
      verdict = { thumbprint: '', trusted: false, reason: 'unreadable' };
    } else {
      try {
        const details = certificateDetails(der);
        const { status, thumbprint } = await checkServerCertificate(
          this.pool,
          this.tenantId,
          der,
          this.endpointUrl,
        );
        const now = Date.now();
        const expired =
          (details.notAfter !== null && details.notAfter.getTime() < now) ||
          (details.notBefore !== null && details.notBefore.getTime() > now + 300_000);
        verdict =
          status !== 'trusted'
            ? { thumbprint, trusted: false, reason: status }
            : expired
              ? { thumbprint, trusted: false, reason: 'expired' }
              : { thumbprint, trusted: true, reason: 'trusted' };
      } catch {
        verdict = { thumbprint: '', trusted: false, reason: 'unreadable' };
      }
    }
    this.lastVerdict = verdict;
    return verdict;
  }
}
