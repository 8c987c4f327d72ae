import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

// Compiles the server and its command-line tools to JavaScript in dist/, so production runs `node` on them:
// no TypeScript compiler at start, no esbuild in the install. npm packages stay imports, resolved from
// node_modules at run time; the workspace packages (TypeScript sources) are bundled in.
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

const cliEntries = (await readdir(path.join(root, 'src/cli')))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => [`cli/${path.basename(file, '.ts')}`, path.join(root, 'src/cli', file)] as const);

await rm(outdir, { recursive: true, force: true });
const started = performance.now();
await build({
  entryPoints: { main: path.join(root, 'src/main.ts'), ...Object.fromEntries(cliEntries) },
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [npmPackagesExternal],
});
console.log(`built apps/server/dist in ${String(Math.round(performance.now() - started))} ms`);
