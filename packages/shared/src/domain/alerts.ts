/** Most urgent first. */
export const alertPriorities = ['critical', 'high', 'medium', 'low'] as const;
export type AlertPriority = (typeof alertPriorities)[number];

export const alertConditions = [
  'high',
  'high_high',
  'low',
  'low_low',
  'rate_of_change',
  'no_data',
  'device_offline',
  'anomaly',
  'night_flow_step',
  'forecast',
  'pump_starts',
] as const;
export type AlertCondition = (typeof alertConditions)[number];

/**
 * What a rule watches: one series, every series of a metric on one asset, every asset of a kind, or a district
 * metered area (a zone: night-flow rules only).
 */
export const alertTargetScopes = ['series', 'asset', 'asset_kind', 'zone', 'tag'] as const;
export type AlertTargetScope = (typeof alertTargetScopes)[number];

/**
 * ISA-18.2 alarm states. `normal` closes an alert; every other state keeps it open, so at most one
 * alert per rule and target can be in any of them at a time.
 */
export const alertStates = [
  'active_unacknowledged',
  'active_acknowledged',
  'returned_unacknowledged',
  'normal',
  'shelved',
  'suppressed',
  'out_of_service',
] as const;
export type AlertState = (typeof alertStates)[number];

export const incidentStatuses = ['open', 'in_progress', 'resolved', 'closed'] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];

export const notificationChannels = ['webhook', 'email'] as const;
export type NotificationChannel = (typeof notificationChannels)[number];

export const deliveryStates = ['pending', 'sending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof deliveryStates)[number];
