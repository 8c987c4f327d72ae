import {
  maxReadingMagnitude,
  minReadingMagnitude,
  type ReadingMessage,
  type ReadingRejectionReason,
} from '@tidewatch/shared';
import type { IngestDevice } from './ingest-device.ts';

export interface Reading {
  readonly seriesId: number;
  /** Epoch milliseconds. */
  readonly time: number;
  readonly value: number;
}

export interface Rejection {
  readonly message: number;
  readonly metric: string;
  readonly reason: ReadingRejectionReason;
}

export interface TimeWindow {
  /** How far ahead of the server's clock a reading may be (device clocks drift). */
  readonly maxFutureMs: number;
  /** How old a reading may be: older ones fall outside the partitions kept for late data. */
  readonly maxAgeMs: number;
}

/**
 * Turns a device's messages into stored readings: each value must belong to a series of the device, be a
 * number within the metric's valid range, and carry a plausible time; it is then calibrated with the
 * calibration valid at its time, and must still be zero or a finite number between `minReadingMagnitude` and
 * `maxReadingMagnitude` (so no sum or mean the rollups or trends keep can overflow or underflow). Everything else is rejected with a reason, value by value.
 */
export function normalizeReadings(
  device: IngestDevice,
  messages: readonly ReadingMessage[],
  now: number,
  window: TimeWindow,
): { readings: Reading[]; rejections: Rejection[] } {
  const readings: Reading[] = [];
  const rejections: Rejection[] = [];
  messages.forEach((message, index) => {
    const time =
      message.ts === undefined ? now : typeof message.ts === 'number' ? message.ts : Date.parse(message.ts);
    for (const [metric, raw] of Object.entries(message.values)) {
      const reject = (reason: ReadingRejectionReason): void => {
        rejections.push({ message: index, metric, reason });
      };
      const series = device.seriesByKey.get(metric);
      if (!series) {
        reject('unknown_metric');
        continue;
      }
      if (time > now + window.maxFutureMs) {
        reject('too_far_in_future');
        continue;
      }
      if (time < now - window.maxAgeMs) {
        reject('too_old');
        continue;
      }
      const number = typeof raw === 'boolean' ? Number(raw) : raw;
      if (!Number.isFinite(number)) {
        reject('not_a_number');
        continue;
      }
      const calibration = device.calibrations.find(
        (c) =>
          c.seriesId === series.id && (c.from === null || c.from <= time) && (c.to === null || time < c.to),
      );
      const value = calibration ? number * calibration.scale + calibration.offset : number;
      if ((series.min !== null && value < series.min) || (series.max !== null && value > series.max)) {
        reject('out_of_range');
        continue;
      }
      // Also catches a calibration that turns a large but finite value into Infinity.
      if (!(Math.abs(value) <= maxReadingMagnitude)) {
        reject('overflow');
        continue;
      }
      if (value !== 0 && Math.abs(value) < minReadingMagnitude) {
        reject('underflow');
        continue;
      }
      readings.push({ seriesId: series.id, time, value });
    }
  });
  return { readings, rejections };
}
