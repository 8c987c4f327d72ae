import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { OpcuaBinding } from '@tidewatch/shared';
import { formatDateTime } from '../../components/format.ts';
import { ProblemNotice } from '../problem-notice.tsx';
import { decideOpcuaCertificate, opcuaBindingKey, opcuaCertificatesKey } from './opcua-queries.ts';

const stateLabels: Readonly<Record<OpcuaBinding['status']['state'], string>> = {
  idle: 'waiting for an instance to take it',
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  untrusted: 'refused: the server’s certificate is not trusted',
  failed: 'failing to connect',
};

/**
 * Where the binding's session stands: connected or not, the newest value stored, the last error, the circuit;
 * and, when the server presented a certificate the tenant has not trusted yet, the button that trusts it.
 */
export function OpcuaSessionState({ binding, tenantId }: { binding: OpcuaBinding; tenantId: string }) {
  const queryClient = useQueryClient();
  const { status } = binding;
  const certificate = status.serverCertificate;
  const trust = useMutation({
    mutationFn: (id: string) => decideOpcuaCertificate(id, 'trusted'),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: opcuaBindingKey(binding.deviceId) });
      void queryClient.invalidateQueries({ queryKey: opcuaCertificatesKey(tenantId) });
    },
  });
  return (
    <dl className="opcua__state" data-testid="opcua-state" data-state={status.state}>
      <dt>Session</dt>
      <dd>
        {stateLabels[status.state]}
        {status.since ? <span className="admin__muted"> since {formatDateTime(status.since)}</span> : null}
        {status.circuitOpen ? <strong className="opcua__rejected"> · circuit open</strong> : null}
        {status.consecutiveFailures > 0 ? (
          <span className="admin__muted"> · {status.consecutiveFailures} failures in a row</span>
        ) : null}
      </dd>
      <dt>Last read</dt>
      <dd>{status.lastReadAt ? formatDateTime(status.lastReadAt) : '—'}</dd>
      <dt>Last error</dt>
      <dd>
        {status.lastError ?? '—'}
        {status.lastErrorAt ? (
          <span className="admin__muted"> ({formatDateTime(status.lastErrorAt)})</span>
        ) : null}
      </dd>
      {certificate ? (
        <>
          <dt>Server certificate</dt>
          <dd>
            <code>{certificate.thumbprint}</code> {certificate.status}
            {certificate.status === 'pending' && certificate.id ? (
              <>
                {' '}
                <button
                  type="button"
                  disabled={trust.isPending}
                  onClick={() => {
                    if (certificate.id) trust.mutate(certificate.id);
                  }}
                >
                  Trust this certificate
                </button>
              </>
            ) : null}
            {trust.isError ? <ProblemNotice error={trust.error} /> : null}
          </dd>
        </>
      ) : null}
    </dl>
  );
}
