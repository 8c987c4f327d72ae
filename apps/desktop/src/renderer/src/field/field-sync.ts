import type { Attachment } from '@tidewatch/shared';
import { create } from 'zustand';
import { apiRequest } from '../api/api-client.ts';
import { ApiError, describeError } from '../api/api-error.ts';
import { stepKey, type FieldAction, type QueuedAction } from './field-actions.ts';
import { putAction, queuedActions, removeAction } from './field-queue-store.ts';

interface QueueState {
  readonly actions: readonly QueuedAction[];
  readonly syncing: boolean;
  readonly online: boolean;
  /** Set whenever an action reached the server, so the screens read their data again. */
  readonly appliedAt: number;
}

/** The queue as the screens show it; IndexedDB is where it is kept. */
export const useQueueStore = create<QueueState>()(() => ({
  actions: [],
  syncing: false,
  online: navigator.onLine,
  appliedAt: 0,
}));

async function reload(): Promise<void> {
  useQueueStore.setState({ actions: await queuedActions() });
}

const enc = encodeURIComponent;

/** A resend that may work later: the network, the server's own trouble, or the same key still in flight (409). */
function worthRetrying(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status >= 500 || error.status === 409 || error.status === 429 || error.status === 401;
}

/** Sends one action, step by step; every step carries its own key, so a step already applied is not applied again. */
async function apply(entry: QueuedAction): Promise<void> {
  const action: FieldAction = entry.action;
  switch (action.kind) {
    case 'acknowledge':
      await apiRequest(`/alerts/${enc(action.alertId)}/acknowledge`, {
        method: 'POST',
        body: action.comment ? { comment: action.comment } : {},
        idempotencyKey: stepKey(entry, 'ack'),
        userActivity: true,
      });
      return;
    case 'comment':
      await apiRequest(`/alerts/${enc(action.alertId)}/comments`, {
        method: 'POST',
        body: { comment: action.comment },
        idempotencyKey: stepKey(entry, 'comment'),
        userActivity: true,
      });
      return;
    case 'incident-note': {
      // Photos first, each remembered once uploaded; then the note that shows them.
      let uploaded = [...entry.uploaded];
      for (const [index, photo] of action.photos.entries()) {
        if (uploaded[index]) continue;
        const attachment = await apiRequest<Attachment>(`/incidents/${enc(action.incidentId)}/attachments`, {
          method: 'POST',
          query: { fileName: photo.name },
          bytes: photo.bytes,
          idempotencyKey: stepKey(entry, `photo-${String(index)}`),
          userActivity: true,
        });
        uploaded = [...uploaded];
        uploaded[index] = attachment.id;
        await putAction({ ...entry, uploaded });
      }
      await apiRequest(`/incidents/${enc(action.incidentId)}/notes`, {
        method: 'POST',
        body: { body: action.body, attachmentIds: uploaded },
        idempotencyKey: stepKey(entry, 'note'),
        userActivity: true,
      });
      return;
    }
    case 'maintenance-log':
      await apiRequest(`/assets/${enc(action.assetId)}/maintenance-logs`, {
        method: 'POST',
        body: {
          workDone: action.workDone,
          partsUsed: action.partsUsed,
          startedAt: action.startedAt,
          finishedAt: action.finishedAt,
        },
        idempotencyKey: stepKey(entry, 'log'),
        userActivity: true,
      });
      return;
  }
}

let running: Promise<void> | null = null;

/**
 * Sends the waiting actions in order, one at a time; stops at the first that cannot go yet (offline), so none
 * overtakes another. A refused action is set aside for the engineer and the rest go on.
 */
export function syncQueue(): Promise<void> {
  if (!navigator.onLine) return Promise.resolve();
  running ??= (async () => {
    useQueueStore.setState({ syncing: true });
    try {
      for (const queued of await queuedActions()) {
        if (queued.refused) continue;
        // The stored copy may have photos uploaded by an earlier attempt.
        const entry = { ...queued, attempts: queued.attempts + 1 };
        try {
          await apply(entry);
          await removeAction(entry.id);
          useQueueStore.setState({ appliedAt: Date.now() });
        } catch (error) {
          const latest = (await queuedActions()).find((item) => item.id === entry.id) ?? entry;
          const retry = worthRetrying(error);
          await putAction({
            ...latest,
            attempts: entry.attempts,
            lastError: describeError(error),
            refused: !retry,
          });
          if (retry) break;
        } finally {
          await reload();
        }
      }
    } finally {
      running = null;
      useQueueStore.setState({ syncing: false });
      await reload();
    }
  })();
  return running;
}

/** Queues an action (kept across reloads) and tries to send it at once. */
export async function enqueue(label: string, action: FieldAction): Promise<void> {
  await putAction({
    id: crypto.randomUUID(),
    createdAt: new Date().toISOString(),
    label,
    action,
    attempts: 0,
    lastError: null,
    refused: false,
    uploaded: [],
  });
  await reload();
  void syncQueue();
}

export async function discardAction(id: string): Promise<void> {
  await removeAction(id);
  await reload();
}

const RETRY_MS = 5_000;

/** Loads the queue and sends it whenever the connection comes back (and now and then, for a server restart). */
export function startQueueSync(): () => void {
  const online = () => {
    useQueueStore.setState({ online: true });
    void syncQueue();
  };
  const offline = () => {
    useQueueStore.setState({ online: false });
  };
  window.addEventListener('online', online);
  window.addEventListener('offline', offline);
  const timer = window.setInterval(() => {
    if (navigator.onLine && useQueueStore.getState().actions.some((action) => !action.refused)) {
      void syncQueue();
    }
  }, RETRY_MS);
  void reload().then(() => syncQueue());
  return () => {
    window.removeEventListener('online', online);
    window.removeEventListener('offline', offline);
    window.clearInterval(timer);
  };
}
