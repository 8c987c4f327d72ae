import type { Ack, LiveReading, SubscriptionResult, TelemetryEvent } from '@tidewatch/shared';

/** Where a view's live series stand: asked for, pushed by the server (some maybe refused), or refused outright. */
export type LiveStatus =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live'; readonly refused: readonly number[] }
  | { readonly kind: 'failed'; readonly message: string };

export interface LiveTelemetryListener {
  /** Readings of the followed series as the server pushes them: the latest per series in each interval. */
  readonly onReadings: (readings: readonly LiveReading[]) => void;
  /** Told after each answer to the subscription (again after every reconnection) and when the socket drops. */
  readonly onStatus?: (status: LiveStatus) => void;
}

/** Live readings of some series, for as long as the view follows them. */
export interface LiveTelemetrySource {
  /** Starts following; the function returned stops. */
  follow(seriesIds: readonly number[], listener: LiveTelemetryListener): () => void;
}

/** The socket's telemetry requests, as the console socket sends them. */
export interface TelemetryRequests {
  subscribe(seriesIds: number[], answer: (ack: Ack<SubscriptionResult>) => void): void;
  unsubscribe(seriesIds: number[]): void;
}

/** The most series one `telemetry:subscribe` may name (`subscribeTelemetrySchema`). */
const MAX_PER_REQUEST = 200;

function chunks(ids: readonly number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ids.length; i += MAX_PER_REQUEST) out.push(ids.slice(i, i + MAX_PER_REQUEST));
  return out;
}

interface Follower {
  readonly seriesIds: ReadonlySet<number>;
  readonly listener: LiveTelemetryListener;
}

/**
 * The live telemetry subscriptions of every view on the console's one socket. Each series is subscribed once
 * however many views follow it and unsubscribed when the last stops; the server forgets subscriptions with the
 * connection, so all of them are asked for again on each `session:ready`.
 */
export class TelemetrySubscriptions implements LiveTelemetrySource {
  private readonly followers = new Set<Follower>();
  /** Set while the socket is connected and its session ready. */
  private requests: TelemetryRequests | null = null;
  /** Series the server answered for on this connection, and those it refused. */
  private readonly answered = new Set<number>();
  private readonly refused = new Set<number>();

  follow(seriesIds: readonly number[], listener: LiveTelemetryListener): () => void {
    const follower: Follower = { seriesIds: new Set(seriesIds), listener };
    const fresh = [...follower.seriesIds].filter((id) => !this.wanted().has(id));
    this.followers.add(follower);
    listener.onStatus?.({ kind: 'connecting' });
    if (this.requests) {
      if (fresh.length > 0) this.ask(this.requests, fresh);
      else this.tell(follower);
    }
    return () => {
      if (!this.followers.delete(follower)) return;
      const wanted = this.wanted();
      const gone = [...follower.seriesIds].filter((id) => !wanted.has(id));
      for (const id of gone) {
        this.answered.delete(id);
        this.refused.delete(id);
      }
      if (this.requests && gone.length > 0) for (const part of chunks(gone)) this.requests.unsubscribe(part);
    };
  }

  /** The socket's session is ready (first connection or a reconnection): subscribe everything followed. */
  connected(requests: TelemetryRequests): void {
    this.requests = requests;
    this.answered.clear();
    this.refused.clear();
    const wanted = [...this.wanted()];
    if (wanted.length > 0) this.ask(requests, wanted);
  }

  disconnected(): void {
    if (!this.requests) return;
    this.requests = null;
    for (const follower of this.followers) follower.listener.onStatus?.({ kind: 'connecting' });
  }

  deliver({ readings }: TelemetryEvent): void {
    for (const follower of this.followers) {
      const own = readings.filter(([seriesId]) => follower.seriesIds.has(seriesId));
      if (own.length > 0) follower.listener.onReadings(own);
    }
  }

  /** The operator's scope changed and the server dropped these subscriptions. */
  dropped(seriesIds: readonly number[]): void {
    for (const id of seriesIds) this.refused.add(id);
    for (const follower of this.followers)
      if (seriesIds.some((id) => follower.seriesIds.has(id))) this.tell(follower);
  }

  private wanted(): Set<number> {
    const ids = new Set<number>();
    for (const follower of this.followers) for (const id of follower.seriesIds) ids.add(id);
    return ids;
  }

  private ask(requests: TelemetryRequests, seriesIds: readonly number[]): void {
    for (const part of chunks(seriesIds)) {
      requests.subscribe(part, (ack) => {
        // An answer from a connection that has since dropped says nothing about the current one.
        if (this.requests !== requests) return;
        if (!ack.ok) {
          const status: LiveStatus = { kind: 'failed', message: ack.problem.detail ?? ack.problem.title };
          for (const follower of this.followers)
            if (part.some((id) => follower.seriesIds.has(id))) follower.listener.onStatus?.(status);
          return;
        }
        const refused = new Set(ack.data.refused);
        for (const id of part) {
          this.answered.add(id);
          if (refused.has(id)) this.refused.add(id);
          else this.refused.delete(id);
        }
        for (const follower of this.followers)
          if (part.some((id) => follower.seriesIds.has(id))) this.tell(follower);
      });
    }
  }

  /** A follower's status once every one of its series has an answer on this connection. */
  private tell(follower: Follower): void {
    const ids = [...follower.seriesIds];
    if (!ids.every((id) => this.answered.has(id))) return;
    follower.listener.onStatus?.({ kind: 'live', refused: ids.filter((id) => this.refused.has(id)) });
  }
}
