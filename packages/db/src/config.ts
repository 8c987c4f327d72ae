import { z } from 'zod';

/** The role the server connects as; migrations create it and grant it only what it needs. */
export const APPLICATION_ROLE = 'tidewatch_app';

const databaseEnvSchema = z.object({
  DATABASE_URL: z
    .url({ message: 'DATABASE_URL must be a postgresql:// URL for the application role' })
    .default(`postgresql://${APPLICATION_ROLE}@127.0.0.1:5432/tidewatch`),
  DATABASE_ADMIN_URL: z
    .url({ message: 'DATABASE_ADMIN_URL must be a postgresql:// URL for a role that owns the schema' })
    .default('postgresql://postgres@127.0.0.1:5432/tidewatch'),
});

export interface DatabaseUrls {
  /** The application role: subject to row-level security. */
  readonly appUrl: string;
  /** The schema owner: runs migrations, seeding and nothing at request time. */
  readonly adminUrl: string;
}

/** Reads the database URLs once, failing with the variable's name when one is malformed. */
export function readDatabaseUrls(env: NodeJS.ProcessEnv = process.env): DatabaseUrls {
  const parsed = databaseEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid database configuration:\n  ${issues.join('\n  ')}`);
  }
  return { appUrl: parsed.data.DATABASE_URL, adminUrl: parsed.data.DATABASE_ADMIN_URL };
}
