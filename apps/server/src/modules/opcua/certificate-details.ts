import { createHash, X509Certificate } from 'node:crypto';

/** What the trust list shows of a certificate, read from its DER bytes. */
export interface CertificateDetails {
  readonly der: Buffer;
  /** SHA-1 of the DER, lower-case hex: the thumbprint OPC UA names certificates by. */
  readonly thumbprint: string;
  readonly subject: string;
  readonly applicationUri: string | null;
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
}

export const thumbprintOf = (der: Uint8Array): string => createHash('sha1').update(der).digest('hex');

/** The first certificate of a PEM text as DER, or null when there is none. */
export function pemToDer(pem: string): Buffer | null {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!match?.[1]) return null;
  const der = Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
  return der.length > 0 ? der : null;
}

export function derToPem(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${(base64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Reads a certificate a server presented or an administrator pasted. A server may send its chain (its own
 * certificate first, then its issuers, concatenated DER): only the first is read. Throws when it is not X.509.
 */
export function certificateDetails(der: Uint8Array): CertificateDetails {
  const first = firstCertificate(Buffer.from(der));
  const certificate = new X509Certificate(first);
  const uri = /URI:([^,\s]+)/.exec(certificate.subjectAltName ?? '')?.[1] ?? null;
  const date = (text: string): Date | null => {
    const time = Date.parse(text);
    return Number.isFinite(time) ? new Date(time) : null;
  };
  return {
    der: first,
    thumbprint: thumbprintOf(first),
    subject: certificate.subject.replace(/\n/g, ', ').slice(0, 1000),
    applicationUri: uri === null ? null : uri.slice(0, 1000),
    notBefore: date(certificate.validFrom),
    notAfter: date(certificate.validTo),
  };
}

/** The first DER element of a chain: a SEQUENCE whose length its header gives. */
function firstCertificate(chain: Buffer): Buffer {
  if (chain.length < 2 || chain[0] !== 0x30) return chain;
  const lengthByte = chain[1] ?? 0;
  if (lengthByte < 0x80) return chain.subarray(0, 2 + lengthByte);
  const lengthBytes = lengthByte & 0x7f;
  if (lengthBytes === 0 || lengthBytes > 4 || chain.length < 2 + lengthBytes) return chain;
  let length = 0;
  for (let i = 0; i < lengthBytes; i += 1) length = length * 256 + (chain[2 + i] ?? 0);
  const end = 2 + lengthBytes + length;
  return end <= chain.length ? chain.subarray(0, end) : chain;
}
