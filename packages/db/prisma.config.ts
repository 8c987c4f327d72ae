import { defineConfig } from 'prisma/config';

// Only the CLI reads this. Applying migrations is `npm run db:migrate` (scripts/migrate.ts), which needs no
// schema engine; where the engine is available, `prisma migrate deploy` reads the same folder.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/tidewatch' },
});
