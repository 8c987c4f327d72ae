import { retentionLimits, type RetentionKind } from '@tidewatch/shared';
import { z } from 'zod';

/** How long stored data is kept. Every cutoff is computed by the database from these numbers of days. */
export interface RetentionPolicy {
  /** Days of daily raw partitions made ahead of now, so ingest never meets a missing one. */
  readonly aheadDays: number;
  /** Days of raw partitions kept available behind now, for late and backfilled readings. */
  readonly behindDays: number;
  readonly rawDays: number;
  readonly minuteDays: number;
  /** null keeps hourly rollups forever. */
  readonly hourDays: number | null;
  readonly sessionsDays: number;
  readonly notificationDeliveriesDays: number;
  readonly commandsDays: number;
  /** How far past its cutoff one run may reach before it refuses (see the retention migration). */
  readonly maxStepDays: number;
  /** Rows deleted per transaction, and transactions per run; what is left waits for the next run. */
  readonly batchRows: number;
  readonly maxBatches: number;
}

export const defaultRetentionPolicy: RetentionPolicy = {
  aheadDays: 7,
  behindDays: 7,
  rawDays: 90,
  minuteDays: 400,
  hourDays: null,
  sessionsDays: 30,
  notificationDeliveriesDays: 90,
  commandsDays: 365,
  maxStepDays: 3,
  batchRows: 10_000,
  maxBatches: 100,
};

const daysOf = (kind: RetentionKind, fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(retentionLimits[kind].floorDays)
    .max(retentionLimits[kind].ceilingDays)
    .default(fallback);

/**
 * The retention settings in the environment, for the server's configuration and `npm run db:partitions` alike.
 * Below a floor the server does not start (and the database would refuse the number anyway).
 */
export const retentionEnvShape = {
  /** Days of raw readings; a tenant may set its own between the floor and the ceiling. */
  RETENTION_RAW_DAYS: daysOf('raw', defaultRetentionPolicy.rawDays),
  RETENTION_MINUTE_DAYS: daysOf('minute', defaultRetentionPolicy.minuteDays),
  /** Unset: hourly rollups are kept forever. */
  RETENTION_HOUR_DAYS: z.coerce
    .number()
    .int()
    .min(retentionLimits.hour.floorDays)
    .max(retentionLimits.hour.ceilingDays)
    .optional(),
  /** Ended (expired or revoked) sign-in sessions are deleted this long after they ended. */
  RETENTION_SESSIONS_DAYS: daysOf('sessions', defaultRetentionPolicy.sessionsDays),
  /** Delivered or failed notification deliveries; the audit log keeps who was told what regardless. */
  RETENTION_DELIVERIES_DAYS: daysOf(
    'notificationDeliveries',
    defaultRetentionPolicy.notificationDeliveriesDays,
  ),
  /** Answered, failed or expired downlink commands; each step of a command stays in the audit log. */
  RETENTION_COMMANDS_DAYS: daysOf('commands', defaultRetentionPolicy.commandsDays),
  /**
   * One run refuses to delete anything more than this many days older than its cutoff: a leap of the cutoff
   * (a clock jump, a shortened setting) waits for `npm run db:partitions -- --max-step-days=<n>`. Kept below
   * the raw floor, so a clock jump the guard lets through still leaves days of readings.
   */
  RETENTION_MAX_STEP_DAYS: z.coerce
    .number()
    .int()
    .min(retentionLimits.maxStep.floorDays)
    .max(retentionLimits.raw.floorDays - 1)
    .default(defaultRetentionPolicy.maxStepDays),
};

const retentionEnvSchema = z.object(retentionEnvShape);
export type RetentionEnv = z.infer<typeof retentionEnvSchema>;

/** The policy from parsed settings (the server's `Config` carries them). */
export function retentionPolicyOf(env: RetentionEnv): RetentionPolicy {
  return {
    ...defaultRetentionPolicy,
    rawDays: env.RETENTION_RAW_DAYS,
    minuteDays: env.RETENTION_MINUTE_DAYS,
    hourDays: env.RETENTION_HOUR_DAYS ?? null,
    sessionsDays: env.RETENTION_SESSIONS_DAYS,
    notificationDeliveriesDays: env.RETENTION_DELIVERIES_DAYS,
    commandsDays: env.RETENTION_COMMANDS_DAYS,
    maxStepDays: env.RETENTION_MAX_STEP_DAYS,
  };
}

/** Reads the retention settings from the environment, naming the variable when one is refused. */
export function readRetentionPolicy(env: NodeJS.ProcessEnv = process.env): RetentionPolicy {
  const parsed = retentionEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid retention configuration:\n  ${issues.join('\n  ')}`);
  }
  return retentionPolicyOf(parsed.data);
}
