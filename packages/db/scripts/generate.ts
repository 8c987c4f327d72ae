import { spawnSync } from 'node:child_process';

// Prisma 7 insists on locating its schema engine even though `generate` never runs it, and cannot download
// it where only the npm registry is reachable. Any existing file satisfies the check.
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
};
const result = spawnSync('prisma', ['generate'], {
  stdio: 'inherit',
  env,
  shell: process.platform === 'win32',
});
process.exit(result.status ?? 1);
