import { createTestDatabase, type TestDatabase } from '@tidewatch/db/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    appUrl: string;
  }
}

let database: TestDatabase | undefined;

/** One migrated, seeded database for the run; each file starts its own server on it. */
export async function setup(project: TestProject): Promise<void> {
  database = await createTestDatabase({ seed: true });
  project.provide('adminUrl', database.adminUrl);
  project.provide('appUrl', database.appUrl);
}

export async function teardown(): Promise<void> {
  await database?.drop();
}
