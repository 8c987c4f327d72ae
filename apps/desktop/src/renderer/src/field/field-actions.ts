/** A photo taken in the field, kept as bytes until it is uploaded. */
export interface QueuedPhoto {
  readonly name: string;
  readonly bytes: ArrayBuffer;
}

/** What a field engineer asked for; applied on the server once, whenever the connection allows. */
export type FieldAction =
  | { readonly kind: 'acknowledge'; readonly alertId: string; readonly comment?: string }
  | { readonly kind: 'comment'; readonly alertId: string; readonly comment: string }
  | {
      readonly kind: 'incident-note';
      readonly incidentId: string;
      readonly body: string;
      readonly photos: readonly QueuedPhoto[];
    }
  | {
      readonly kind: 'maintenance-log';
      readonly assetId: string;
      readonly workDone: string;
      readonly partsUsed: string | null;
      readonly startedAt: string;
      readonly finishedAt: string | null;
    };

/**
 * One queued action. Its `id` is the root of every Idempotency-Key it sends, so a resend after a lost answer (or a
 * reload mid-sync) is answered by the server as the first time rather than applied again.
 */
export interface QueuedAction {
  readonly id: string;
  readonly createdAt: string;
  /** What the queue shows, e.g. "Note on incident #12". */
  readonly label: string;
  readonly action: FieldAction;
  readonly attempts: number;
  /** Why it is not sent yet (the last failure), or null. */
  readonly lastError: string | null;
  /** Refused by the server (a 4xx that no resend will change): kept for the engineer to read and discard. */
  readonly refused: boolean;
  /** The attachment ids of the photos uploaded so far, by photo index. */
  readonly uploaded: readonly string[];
}

/** The Idempotency-Key of one step of an action: its photos, then the action itself. */
export function stepKey(action: Pick<QueuedAction, 'id'>, step: string): string {
  return `${action.id}-${step}`;
}
