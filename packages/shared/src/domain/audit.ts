export const actorTypes = ['user', 'device', 'system'] as const;
export type ActorType = (typeof actorTypes)[number];

export const auditOutcomes = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];
