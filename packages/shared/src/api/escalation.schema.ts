import { z } from 'zod';
import { alertPriorities } from '../domain/alerts.ts';

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM');
const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone such as Asia/Kolkata');

/** A weekly shift: on each ISO weekday listed (1 Monday .. 7 Sunday), from `starts` to `ends` local time. */
export const onCallShiftSchema = z
  .strictObject({
    userId: z.uuid(),
    weekdays: z.array(z.int().min(1).max(7)).min(1).max(7),
    starts: clockTime,
    ends: clockTime.describe('at or before `starts`: the shift runs into the next day'),
  })
  .meta({ id: 'OnCallShift' });

export const onCallOverrideSchema = z
  .strictObject({
    userId: z.uuid(),
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
    reason: z.string().max(500).nullable().optional(),
  })
  .refine((o) => Date.parse(o.endsAt) > Date.parse(o.startsAt), 'endsAt must be after startsAt')
  .meta({ id: 'OnCallOverride' });

export const createOnCallScheduleSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    timeZone,
    shifts: z.array(onCallShiftSchema).max(200),
  })
  .meta({ id: 'CreateOnCallSchedule' });
export type CreateOnCallSchedule = z.infer<typeof createOnCallScheduleSchema>;

export const onCallScheduleSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    timeZone: z.string(),
    shifts: z.array(onCallShiftSchema),
    overrides: z.array(onCallOverrideSchema),
  })
  .meta({ id: 'OnCallSchedule' });
export type OnCallScheduleView = z.infer<typeof onCallScheduleSchema>;

export const onDutyQuerySchema = z.strictObject({ at: z.iso.datetime({ offset: true }).optional() });
export const onDutySchema = z.object({ at: z.string(), userIds: z.array(z.uuid()) }).meta({ id: 'OnDuty' });

export const escalationStepSchema = z
  .strictObject({
    userId: z.uuid().nullable().default(null),
    scheduleId: z.uuid().nullable().default(null),
    waitS: z.int().min(0).max(86_400).describe('wait after this step before the next'),
  })
  .refine(
    (step) => (step.userId === null) !== (step.scheduleId === null),
    'a step notifies a user or a schedule',
  )
  .meta({ id: 'EscalationStep' });

export const createEscalationPolicySchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    minPriority: z.enum(alertPriorities).default('high'),
    repeats: z.int().min(0).max(20).default(2),
    steps: z.array(escalationStepSchema).min(1).max(20),
  })
  .meta({ id: 'CreateEscalationPolicy' });
export type CreateEscalationPolicy = z.infer<typeof createEscalationPolicySchema>;

export const escalationPolicySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    minPriority: z.enum(alertPriorities),
    repeats: z.int(),
    enabled: z.boolean(),
    createdAt: z.string(),
    steps: z.array(
      z.object({ userId: z.uuid().nullable(), scheduleId: z.uuid().nullable(), waitS: z.int() }),
    ),
  })
  .meta({ id: 'EscalationPolicy' });
export type EscalationPolicy = z.infer<typeof escalationPolicySchema>;

export const escalationMessageStates = ['pending', 'sending', 'delivered', 'failed', 'cancelled'] as const;

export const alertEscalationSchema = z
  .object({
    alertId: z.uuid(),
    policyId: z.uuid().nullable(),
    nextStep: z.int().nullable(),
    cycle: z.int().nullable(),
    nextAt: z.string().nullable(),
    stoppedAt: z.string().nullable(),
    stopReason: z.string().nullable(),
    messages: z.array(
      z.object({
        id: z.string(),
        cycle: z.int(),
        position: z.int(),
        userId: z.uuid().nullable(),
        phone: z.string(),
        state: z.enum(escalationMessageStates),
        attempts: z.int(),
        lastError: z.string().nullable(),
        providerId: z.string().nullable(),
        deliveredAt: z.string().nullable(),
        createdAt: z.string(),
      }),
    ),
  })
  .meta({ id: 'AlertEscalation' });
export type AlertEscalation = z.infer<typeof alertEscalationSchema>;

export const setPhoneSchema = z
  .strictObject({
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'E.164, e.g. +919812345678')
      .nullable(),
  })
  .meta({ id: 'SetPhone' });
