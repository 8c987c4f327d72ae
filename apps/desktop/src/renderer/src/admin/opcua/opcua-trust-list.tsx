import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { formatDateTime } from '../../components/format.ts';
import { ProblemNotice } from '../problem-notice.tsx';
import './opcua.css';
import {
  decideOpcuaCertificate,
  fetchClientCertificate,
  opcuaCertificatesKey,
  useOpcuaCertificates,
} from './opcua-queries.ts';

/**
 * The tenant's OPC UA trust list: plant server certificates trusted, refused, or met and waiting for a decision,
 * and the tenant's own client certificate to install on those servers.
 */
export function OpcuaTrustList({ tenantId, canDecide }: { tenantId: string; canDecide: boolean }) {
  const queryClient = useQueryClient();
  const certificates = useOpcuaCertificates(tenantId);
  const [clientPem, setClientPem] = useState<string | null>(null);
  const decide = useMutation({
    mutationFn: ({ id, status }: { id: string; status: 'trusted' | 'rejected' }) =>
      decideOpcuaCertificate(id, status),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: opcuaCertificatesKey(tenantId) });
    },
  });
  const client = useMutation({
    mutationFn: fetchClientCertificate,
    onSuccess: (c) => {
      setClientPem(c.certificatePem);
    },
  });
  return (
    <section className="admin__section opcua" aria-labelledby="opcua-trust-heading">
      <h3 id="opcua-trust-heading">OPC UA certificates</h3>
      <div className="admin__form">
        <button
          type="button"
          disabled={client.isPending}
          onClick={() => {
            client.mutate();
          }}
        >
          Show our client certificate
        </button>
      </div>
      {client.isError ? <ProblemNotice error={client.error} /> : null}
      {clientPem ? (
        <textarea className="opcua__pem" readOnly value={clientPem} aria-label="Client certificate (PEM)" />
      ) : null}
      {certificates.isError ? <ProblemNotice error={certificates.error} /> : null}
      <table className="admin__table" aria-label="Server certificates" data-testid="opcua-trust-list">
        <thead>
          <tr>
            <th>Subject</th>
            <th>Application</th>
            <th>Thumbprint</th>
            <th>Valid until</th>
            <th>Last seen</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(certificates.data ?? []).map((certificate) => (
            <tr key={certificate.id} data-status={certificate.status}>
              <td>{certificate.subject}</td>
              <td>{certificate.applicationUri ?? '—'}</td>
              <td>
                <code>{certificate.thumbprint}</code>
              </td>
              <td>{certificate.notAfter ? formatDateTime(certificate.notAfter) : '—'}</td>
              <td>
                {formatDateTime(certificate.lastSeenAt)}
                {certificate.endpointUrl ? (
                  <span className="admin__muted"> at {certificate.endpointUrl}</span>
                ) : null}
              </td>
              <td>{certificate.status}</td>
              <td>
                {canDecide && certificate.status !== 'trusted' ? (
                  <button
                    type="button"
                    onClick={() => {
                      decide.mutate({ id: certificate.id, status: 'trusted' });
                    }}
                  >
                    Trust
                  </button>
                ) : null}{' '}
                {canDecide && certificate.status !== 'rejected' ? (
                  <button
                    type="button"
                    onClick={() => {
                      decide.mutate({ id: certificate.id, status: 'rejected' });
                    }}
                  >
                    Refuse
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {decide.isError ? <ProblemNotice error={decide.error} /> : null}
    </section>
  );
}
