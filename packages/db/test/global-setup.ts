import type { TestProject } from 'vitest/node';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    seededAdminUrl: string;
    seededAppUrl: string;
    seedCounts: Record<string, number>;
  }
}

let seeded: TestDatabase | undefined;

/** One migrated and seeded database shared by the test files that only read or tidy up after themselves. */
export async function setup(project: TestProject): Promise<void> {
  seeded = await createTestDatabase({ seed: true });
  project.provide('seededAdminUrl', seeded.adminUrl);
  project.provide('seededAppUrl', seeded.appUrl);
  project.provide('seedCounts', seeded.seedCounts ?? {});
}

export async function teardown(): Promise<void> {
  await seeded?.drop();
}
