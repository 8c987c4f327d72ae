import type {
  AcknowledgeAlert,
  Alert,
  BulkAcknowledge,
  BulkAcknowledgeResult,
  ShelveAlert,
} from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

/**
 * Everything the console does to alerts, in one place, so the server's routes plug in here and nowhere else.
 */
export const alertActions = {
  acknowledge: (id: string, body: AcknowledgeAlert): Promise<Alert> =>
    apiRequest<Alert>(`/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', body }),

  acknowledgeMany: (body: BulkAcknowledge): Promise<BulkAcknowledgeResult> =>
    apiRequest<BulkAcknowledgeResult>('/alerts/ack', { method: 'POST', body }),

  shelve: (id: string, body: ShelveAlert): Promise<Alert> =>
    apiRequest<Alert>(`/alerts/${encodeURIComponent(id)}/shelve`, { method: 'POST', body }),
};

/** Acknowledges one or many alerts with one comment; resolves to how many the server acknowledged. */
export async function acknowledgeAlerts(ids: readonly string[], comment: string): Promise<number> {
  const text = comment.trim();
  const withComment = text ? { comment: text } : {};
  if (ids.length === 1 && ids[0] !== undefined) {
    await alertActions.acknowledge(ids[0], withComment);
    return 1;
  }
  const result = await alertActions.acknowledgeMany({ ids: [...ids], ...withComment });
  return result.acknowledged.length;
}
