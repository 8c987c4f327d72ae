/*
 * Who is on call when. A schedule's shifts are wall-clock times in the schedule's own time zone, so a 20:00 shift
 * starts at 20:00 local on both sides of a daylight-saving change; an override (a swap, sick leave) is a span of
 * absolute time and wins over the shifts it overlaps.
 */

export interface OnCallShift {
  readonly userId: string;
  /** ISO weekdays the shift starts on: 1 Monday .. 7 Sunday. */
  readonly weekdays: readonly number[];
  /** `HH:MM` or `HH:MM:SS`; an end at or before the start runs into the next day. */
  readonly starts: string;
  readonly ends: string;
}

export interface OnCallOverride {
  readonly userId: string;
  readonly startsAt: number;
  readonly endsAt: number;
}

export interface OnCallSchedule {
  readonly timeZone: string;
  readonly shifts: readonly OnCallShift[];
  readonly overrides: readonly OnCallOverride[];
}

const weekdayNumbers: Readonly<Record<string, number>> = {
  Mon: 1,
  Tue: 2,
  Wed: 3,
  Thu: 4,
  Fri: 5,
  Sat: 6,
  Sun: 7,
};

/** The ISO weekday and the minute of the day at `at` on the wall clocks of `timeZone`. */
export function wallClock(at: number, timeZone: string): { weekday: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(at));
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return {
    weekday: weekdayNumbers[part('weekday')] ?? 1,
    minute: Number(part('hour')) * 60 + Number(part('minute')),
  };
}

function minuteOf(time: string): number {
  const [hours = '0', minutes = '0'] = time.split(':');
  return Number(hours) * 60 + Number(minutes);
}

/** Whether a weekly shift covers the wall-clock moment (a night shift belongs to the day it starts). */
export function shiftCovers(shift: OnCallShift, weekday: number, minute: number): boolean {
  const start = minuteOf(shift.starts);
  const end = minuteOf(shift.ends);
  if (end > start) return shift.weekdays.includes(weekday) && minute >= start && minute < end;
  const yesterday = weekday === 1 ? 7 : weekday - 1;
  return (
    (shift.weekdays.includes(weekday) && minute >= start) ||
    (shift.weekdays.includes(yesterday) && minute < end)
  );
}

/**
 * The users on duty at `at`: those of the overrides in force, or else those whose shift covers the moment, in
 * the order the schedule lists them, each once.
 * @example onDuty({ timeZone: 'Asia/Kolkata', shifts: [night], overrides: [] }, Date.parse('2026-12-07T20:00:00Z'))
 */
export function onDuty(schedule: OnCallSchedule, at: number): string[] {
  const overriding = schedule.overrides.filter((o) => o.startsAt <= at && at < o.endsAt).map((o) => o.userId);
  if (overriding.length > 0) return [...new Set(overriding)];
  const { weekday, minute } = wallClock(at, schedule.timeZone);
  return [
    ...new Set(schedule.shifts.filter((shift) => shiftCovers(shift, weekday, minute)).map((s) => s.userId)),
  ];
}
