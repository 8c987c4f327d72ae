/**
 * The least and the most days each kind of stored data may be kept, as the database enforces them
 * (`retention_limits()` in the retention migration; a test keeps the two equal). Floors keep a mistyped or hostile
 * setting from emptying the history; ceilings bound how long one tenant can make the partitions every tenant
 * shares wait. `maxStep` bounds how far one retention run may reach past its cutoff.
 */
export const retentionLimits = {
  raw: { floorDays: 7, ceilingDays: 730 },
  minute: { floorDays: 31, ceilingDays: 3660 },
  hour: { floorDays: 365, ceilingDays: 3660 },
  sessions: { floorDays: 1, ceilingDays: 3660 },
  notificationDeliveries: { floorDays: 7, ceilingDays: 3660 },
  commands: { floorDays: 30, ceilingDays: 3660 },
  maxStep: { floorDays: 1, ceilingDays: 3660 },
} as const;
export type RetentionKind = keyof typeof retentionLimits;
