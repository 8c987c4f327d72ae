export * from './auth/permissions.ts';
export * from './domain/alerts.ts';
export * from './domain/assets.ts';
export * from './domain/audit.ts';
export * from './domain/devices.ts';
export * from './domain/roles.ts';
