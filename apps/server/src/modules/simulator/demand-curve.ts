/*
 * The daily demand cycle the seeded history follows (packages/db's simulate.ts), so live readings carry on the
 * curve the week before them drew: a night minimum, the morning peak (later at weekends), a midday shoulder and
 * the evening peak, in the tenant's local time.
 */

const gauss = (x: number, mean: number, width: number): number =>
  Math.exp(-((x - mean) ** 2) / (2 * width ** 2));

/** The local wall-clock hour (fractional) and weekday of `time` in an IANA time zone. */
export function localTime(time: number, timeZone: string): { hour: number; weekend: boolean } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(time));
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '0';
  const hour = Number(part('hour')) + Number(part('minute')) / 60 + Number(part('second')) / 3600;
  const weekday = part('weekday');
  return { hour, weekend: weekday === 'Sat' || weekday === 'Sun' };
}

/** Relative demand at `time`: about 0.35 at night, 1.3 at the morning peak. */
export function demandAt(time: number, timeZone: string): number {
  const { hour, weekend } = localTime(time, timeZone);
  const morningPeak = weekend ? 8.5 : 7;
  return (
    0.35 + 0.95 * gauss(hour, morningPeak, 1.2) + 0.2 * gauss(hour, 13, 2) + 0.65 * gauss(hour, 19.5, 1.5)
  );
}
