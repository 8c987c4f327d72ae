import globals from 'globals';
import tseslint from 'typescript-eslint';
import rootConfig from '../../eslint.config.mjs';

export default [
  ...rootConfig,
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The field app's service worker is served as written: plain JavaScript, outside the TypeScript project.
    files: ['src/renderer/public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { ...globals.serviceworker },
      parserOptions: { projectService: false, project: null },
    },
  },
  {
    // The preload runs sandboxed: only `electron` itself may be required, so everything else is bundled in.
    files: ['src/preload/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../main/*', '../renderer/*'], message: 'The preload shares src/common only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer reaches the desktop through window.tidewatch only.' },
            { name: '@prisma/client', message: 'The database belongs to the server.' },
          ],
        },
      ],
    },
  },
];
