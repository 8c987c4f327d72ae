import { rm } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

// Compiles the database tools (migrate, seed, partitions, rollup rebuild) to JavaScript in dist/, so `npm start` and a
// production install run them with `node`. They find the migrations at ../prisma/migrations, as from src/.
const root = path.resolve(import.meta.dirname, '..');
const outdir = path.join(root, 'dist');

const npmPackagesExternal: Plugin = {
  name: 'npm-packages-external',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'entry-point' || args.path.startsWith('@tidewatch/')
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

await rm(outdir, { recursive: true, force: true });
const started = performance.now();
await build({
  entryPoints: ['migrate', 'seed', 'partitions', 'rebuild-rollups'].map((name) =>
    path.join(root, 'scripts', `${name}.ts`),
  ),
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [npmPackagesExternal],
});
console.log(`built packages/db/dist in ${String(Math.round(performance.now() - started))} ms`);
