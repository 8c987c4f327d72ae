import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { contentSecurityPolicy, withCspMeta } from './src/common/content-security-policy.ts';

/** The web build carries its content security policy in a `<meta>`; the server serves it as it is. */
function cspMeta(development: boolean): Plugin {
  return {
    name: 'tidewatch-csp-meta',
    transformIndexHtml: (html) => withCspMeta(html, contentSecurityPolicy({ delivery: 'meta', development })),
  };
}

// In `electron-vite dev` the renderer's /api calls go to a local server through Vite's proxy (same origin).
const devServer = process.env.TIDEWATCH_DEV_SERVER ?? 'http://127.0.0.1:8080';

export default defineConfig(({ command }) => ({
  main: {
    build: {
      outDir: 'out/main',
      // The shared contracts are TypeScript sources: bundled in (zod stays external, like the rest).
      externalizeDeps: { exclude: ['@tidewatch/shared'] },
      rolldownOptions: { input: { index: resolve('src/main/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot load ES modules or sibling chunks: one CommonJS file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    base: '/',
    plugins: [react(), cspMeta(command === 'serve')],
    server: {
      proxy: { '/api': devServer, '/health': devServer, '/socket.io': { target: devServer, ws: true } },
    },
    build: {
      outDir: resolve('out/renderer'),
      emptyOutDir: true,
      // The same build is the server's web console: minified, and for any current browser, not just Electron's.
      minify: true,
      target: 'es2022',
      // The field app (field/index.html) is a second page of the same build: served by the server at /field/.
      rolldownOptions: {
        input: { index: resolve('src/renderer/index.html'), field: resolve('src/renderer/field/index.html') },
      },
    },
  },
}));
