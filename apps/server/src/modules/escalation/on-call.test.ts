import { describe, expect, it } from 'vitest';
import { onDuty, type OnCallSchedule } from './on-call.ts';

const weekdays = [1, 2, 3, 4, 5, 6, 7];
/** Day 08:00-20:00 (Asha) and night 20:00-08:00 (Ravi) every day, Mumbai time. */
const kolkata: OnCallSchedule = {
  timeZone: 'Asia/Kolkata',
  shifts: [
    { userId: 'asha', weekdays, starts: '08:00', ends: '20:00' },
    { userId: 'ravi', weekdays, starts: '20:00:00', ends: '08:00:00' },
  ],
  overrides: [],
};

describe('who is on call', () => {
  it('hands over at the shift boundary, on the local clock of the schedule', () => {
    // 2026-12-07 is a Monday; 20:00 in Kolkata is 14:30 UTC.
    expect(onDuty(kolkata, Date.parse('2026-12-07T14:29:59Z'))).toEqual(['asha']);
    expect(onDuty(kolkata, Date.parse('2026-12-07T14:30:00Z'))).toEqual(['ravi']);
    // The night shift runs past midnight into Tuesday and ends at 08:00 local (02:30 UTC).
    expect(onDuty(kolkata, Date.parse('2026-12-07T20:00:00Z'))).toEqual(['ravi']);
    expect(onDuty(kolkata, Date.parse('2026-12-08T02:29:00Z'))).toEqual(['ravi']);
    expect(onDuty(kolkata, Date.parse('2026-12-08T02:30:00Z'))).toEqual(['asha']);
  });

  it('a night shift belongs to the day it starts: Friday night covers early Saturday, not early Friday', () => {
    const weekdayNights: OnCallSchedule = {
      timeZone: 'UTC',
      shifts: [{ userId: 'nina', weekdays: [1, 2, 3, 4, 5], starts: '22:00', ends: '06:00' }],
      overrides: [],
    };
    // 2026-12-12 is a Saturday: 03:00 is Friday night's shift.
    expect(onDuty(weekdayNights, Date.parse('2026-12-12T03:00:00Z'))).toEqual(['nina']);
    // 2026-12-14 is a Monday: 03:00 would be Sunday night's, which is not hers.
    expect(onDuty(weekdayNights, Date.parse('2026-12-14T03:00:00Z'))).toEqual([]);
    expect(onDuty(weekdayNights, Date.parse('2026-12-14T22:00:00Z'))).toEqual(['nina']);
  });

  it('keeps wall-clock shifts across a daylight-saving change', () => {
    const newYork: OnCallSchedule = {
      timeZone: 'America/New_York',
      shifts: [{ userId: 'sam', weekdays, starts: '09:00', ends: '17:00' }],
      overrides: [],
    };
    // Before the change (EDT, UTC-4) 09:00 is 13:00 UTC; after it (EST, UTC-5) 14:00 UTC.
    expect(onDuty(newYork, Date.parse('2026-10-30T13:00:00Z'))).toEqual(['sam']);
    expect(onDuty(newYork, Date.parse('2026-11-02T13:30:00Z'))).toEqual([]);
    expect(onDuty(newYork, Date.parse('2026-11-02T14:00:00Z'))).toEqual(['sam']);
  });

  it('the same instant is day shift in one zone and night shift in another', () => {
    const at = Date.parse('2026-12-07T16:00:00Z');
    expect(onDuty(kolkata, at)).toEqual(['ravi']); // 21:30 in Kolkata
    expect(onDuty({ ...kolkata, timeZone: 'Europe/London' }, at)).toEqual(['asha']); // 16:00 in London
  });

  it('an override wins while it lasts, and the shift comes back after it', () => {
    const swapped: OnCallSchedule = {
      ...kolkata,
      overrides: [
        {
          userId: 'meera',
          startsAt: Date.parse('2026-12-07T15:00:00Z'),
          endsAt: Date.parse('2026-12-07T18:00:00Z'),
        },
      ],
    };
    expect(onDuty(swapped, Date.parse('2026-12-07T14:45:00Z'))).toEqual(['ravi']);
    expect(onDuty(swapped, Date.parse('2026-12-07T15:00:00Z'))).toEqual(['meera']);
    expect(onDuty(swapped, Date.parse('2026-12-07T18:00:00Z'))).toEqual(['ravi']);
  });
});
