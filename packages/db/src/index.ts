export {
  createDatabase,
  createPool,
  type Database,
  type DatabaseOptions,
  type PoolOptions,
  type SessionTimeouts,
} from './client.ts';
export { APPLICATION_ROLE, readDatabaseUrls, type DatabaseUrls } from './config.ts';
export { brokerPasswordHash, verifyBrokerPassword } from './broker-password-hash.ts';
export { hashCredential, verifyCredential } from './credential-hash.ts';
export { ensureDatabaseExists } from './database-admin.ts';
export {
  describeDatabaseError,
  isDatabaseBusyError,
  isRetryableDatabaseError,
  isTransientDatabaseError,
  retryTransientOnce,
} from './database-errors.ts';
export { applyMigrations, syncApplicationRolePassword, type MigrateResult } from './migrate.ts';
export { inTransaction, type Budget, type Queryable } from './budgeted-transaction.ts';
export type { RetentionRefusal, TelemetryDeletions } from './partitions.ts';
export type { RecordDeletions } from './record-pruning.ts';
export {
  defaultRetentionPolicy,
  readRetentionPolicy,
  retentionEnvShape,
  retentionPolicyOf,
  type RetentionEnv,
  type RetentionPolicy,
} from './retention-policy.ts';
export { prepareTelemetryStage, storeTelemetry, type StagedReading } from './telemetry-stage.ts';
export { runRetention, type RetentionRunResult } from './retention-run.ts';
export { readInContext, readStatement, type ReadStatement, type ReadValue } from './context-read.ts';
export {
  beginWithContextSql,
  contextCallSql,
  withTenant,
  withTenantClient,
  type DbContext,
  type TenantTransaction,
} from './tenant-context.ts';
export * from './generated/prisma/client.ts';
