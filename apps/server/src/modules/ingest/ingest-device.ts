import type { DeviceTransport } from '@tidewatch/shared';

export interface SeriesInfo {
  readonly id: number;
  readonly key: string;
  readonly min: number | null;
  readonly max: number | null;
}

export interface CalibrationInfo {
  readonly seriesId: number;
  readonly scale: number;
  readonly offset: number;
  /** Epoch ms; null: open-ended. */
  readonly from: number | null;
  readonly to: number | null;
}

/** What ingest knows about a device, loaded once and kept briefly. */
export interface IngestDevice {
  readonly id: string;
  readonly tenantId: string;
  readonly assetId: string | null;
  readonly transport: DeviceTransport;
  readonly disabled: boolean;
  readonly credentialHash: string | null;
  readonly credentialRotatedAt: number | null;
  readonly seriesByKey: ReadonlyMap<string, SeriesInfo>;
  readonly calibrations: readonly CalibrationInfo[];
}
