/** Messages between the benchmark and its client processes (over the child-process IPC channel). */

export interface ClientSpec {
  readonly auth: Record<string, unknown>;
  /** Tenant label, to know which alerts the client should receive. */
  readonly tenant: string;
  readonly seriesIds: readonly number[];
}

export type Command =
  | {
      readonly type: 'connect';
      readonly url: string;
      readonly mode: 'tidewatch' | 'bare';
      readonly clients: ClientSpec[];
    }
  | { readonly type: 'round-trips'; readonly count: number }
  | { readonly type: 'measure' }
  | { readonly type: 'progress' }
  | {
      readonly type: 'report';
      /** Per tenant, per alert id: when each change was requested (epoch ms), in order. */
      readonly sent: Record<string, Record<string, number[]>>;
      /** Per series id: how many readings of it the server accepted. */
      readonly readings?: Record<string, number>;
    }
  | { readonly type: 'disconnect' };

export type Reply =
  | {
      readonly type: 'connected';
      readonly connected: number;
      readonly failed: number;
      readonly firstError?: string;
    }
  | { readonly type: 'round-trips'; readonly histogram: [number, number][] }
  | { readonly type: 'measuring' }
  | { readonly type: 'progress'; readonly messages: number }
  | {
      readonly type: 'report';
      readonly alerts: [number, number][];
      readonly telemetry: [number, number][];
      readonly broadcasts: [number, number][];
      readonly messages: number;
      readonly expectedAlerts: number;
      readonly matchedAlerts: number;
      /** Readings of the series each client follows: accepted by the server, and received (distinct). */
      readonly expectedReadings: number;
      readonly receivedReadings: number;
      /** First and last receipt in the window (epoch ms), for rates. */
      readonly firstAt: number;
      readonly lastAt: number;
    }
  | { readonly type: 'disconnected' };
