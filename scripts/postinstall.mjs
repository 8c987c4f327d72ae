// After an install: generates the Prisma client the TypeScript sources import. A production install
// (npm ci --omit=dev) has neither tsx nor the Prisma CLI, and needs neither: the compiled dist/ carries the client.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const tools = ['tsx', 'prisma'].map(
  (name) => new URL(`../node_modules/${name}/package.json`, import.meta.url),
);
if (!tools.every((file) => existsSync(file))) process.exit(0);

const result = spawnSync('npm', ['run', '--silent', 'generate', '-w', '@tidewatch/db'], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
process.exit(result.status ?? 1);
