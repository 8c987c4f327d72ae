import { ensureDatabaseExists } from '../src/database-admin.ts';
import { readDatabaseUrls } from '../src/config.ts';
import { applyMigrations, syncApplicationRolePassword } from '../src/migrate.ts';

const { adminUrl, appUrl } = readDatabaseUrls();
if (await ensureDatabaseExists(adminUrl)) console.log('created the database');
const result = await applyMigrations(adminUrl, {
  log: (line) => {
    console.log(line);
  },
});
if (await syncApplicationRolePassword(adminUrl, appUrl)) console.log('set the application role password');
console.log(
  result.applied.length === 0
    ? `database is up to date (${String(result.alreadyApplied.length)} migrations)`
    : `applied ${String(result.applied.length)} migrations`,
);
