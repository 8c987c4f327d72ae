export { createTestDatabase, testServerUrl, type TestDatabase } from './test-database.ts';
export { seedDemo, DEFAULT_DEMO_DEVICE_SECRET, type SeedCounts } from '../seed/seed-database.ts';
export {
  DEFAULT_DEMO_PASSWORD,
  DEMO_SUPER_ADMIN_EMAIL,
  demoEmail,
  demoTenants,
  demoUserRoles,
} from '../seed/demo-tenants.ts';
