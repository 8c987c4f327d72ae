export { createDatabase, type Database, type DatabaseOptions } from './client.ts';
export { APPLICATION_ROLE, readDatabaseUrls, type DatabaseUrls } from './config.ts';
export { brokerPasswordHash, verifyBrokerPassword } from './broker-password-hash.ts';
export { hashCredential, verifyCredential } from './credential-hash.ts';
export { ensureDatabaseExists } from './database-admin.ts';
export { isTransientDatabaseError, retryTransientOnce } from './database-errors.ts';
export { applyMigrations, syncApplicationRolePassword, type MigrateResult } from './migrate.ts';
export {
  defaultRetentionPolicy,
  maintainTelemetryPartitions,
  type PartitionMaintenanceResult,
  type RetentionPolicy,
} from './partitions.ts';
export {
  beginWithContextSql,
  withTenant,
  withTenantClient,
  type DbContext,
  type TenantTransaction,
} from './tenant-context.ts';
export * from './generated/prisma/client.ts';
