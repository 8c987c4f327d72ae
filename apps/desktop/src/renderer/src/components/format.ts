// Control rooms read a 24-hour clock.
const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export const formatTime = (at: number | string): string => timeFormat.format(new Date(at));
export const formatDateTime = (at: number | string): string => dateTimeFormat.format(new Date(at));
export const formatValue = (value: number | null): string =>
  value === null ? '' : numberFormat.format(value);

/** "3 min ago", for how long an alarm has stood. */
export function formatAge(at: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}
