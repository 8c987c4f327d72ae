import type {
  AcknowledgeAlert,
  Alert,
  AlertComment,
  BulkAcknowledge,
  BulkAcknowledgeResult,
  ShelveAlert,
} from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

const alertPath = (id: string, action: string) => `/alerts/${encodeURIComponent(id)}/${action}`;
const optionalComment = (comment: string | undefined) => {
  const text = comment?.trim();
  return text ? { comment: text } : {};
};

/**
 * Everything the console does to alerts, in one place: the server's routes (POST /alerts/:id/<action>), with the
 * bodies its shared schemas accept. Each answers with the alert as it now is.
 */
export const alertActions = {
  acknowledge: (id: string, body: AcknowledgeAlert): Promise<Alert> =>
    apiRequest<Alert>(alertPath(id, 'acknowledge'), { method: 'POST', body }),

  acknowledgeMany: (body: BulkAcknowledge): Promise<BulkAcknowledgeResult> =>
    apiRequest<BulkAcknowledgeResult>('/alerts/acknowledge', { method: 'POST', body }),

  shelve: (id: string, body: ShelveAlert): Promise<Alert> =>
    apiRequest<Alert>(alertPath(id, 'shelve'), { method: 'POST', body }),

  unshelve: (id: string, comment?: string): Promise<Alert> =>
    apiRequest<Alert>(alertPath(id, 'unshelve'), { method: 'POST', body: optionalComment(comment) }),

  comment: (id: string, body: AlertComment): Promise<Alert> =>
    apiRequest<Alert>(alertPath(id, 'comments'), { method: 'POST', body }),

  removeFromService: (id: string, body: AlertComment): Promise<Alert> =>
    apiRequest<Alert>(alertPath(id, 'out-of-service'), { method: 'POST', body }),

  returnToService: (id: string, comment?: string): Promise<Alert> =>
    apiRequest<Alert>(alertPath(id, 'return-to-service'), { method: 'POST', body: optionalComment(comment) }),
};

/** Most alerts one bulk request may acknowledge (the server's limit). */
const BULK_LIMIT = 500;

/**
 * Acknowledges one or many alerts with one comment; resolves to the alerts the server acknowledged, so the
 * console can show them at once (the socket brings the same change to every other console).
 */
export async function acknowledgeAlerts(ids: readonly string[], comment: string): Promise<Alert[]> {
  const withComment = optionalComment(comment);
  if (ids.length === 1 && ids[0] !== undefined) return [await alertActions.acknowledge(ids[0], withComment)];
  const acknowledged: Alert[] = [];
  for (let start = 0; start < ids.length; start += BULK_LIMIT) {
    const result = await alertActions.acknowledgeMany({
      ids: ids.slice(start, start + BULK_LIMIT),
      ...withComment,
    });
    acknowledged.push(...result.acknowledged);
  }
  return acknowledged;
}
