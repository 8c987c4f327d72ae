import globals from 'globals';
import rootConfig from '../../eslint.config.mjs';

export default [
  ...rootConfig,
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
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
