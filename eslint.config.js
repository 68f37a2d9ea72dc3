// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.tools/', 'test-results/', 'test-artifacts/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'bench/thread-probe.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Forgetting to await an activity, a timer or an HTTP call is a bug, not a style choice.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Production code reads at 120 columns; Prettier wraps code, this catches long strings and comments too.
    files: ['**/*.ts', '**/*.js'],
    ignores: ['test/**'],
    rules: { 'max-len': ['error', { code: 120, ignoreUrls: false }] },
  },
  {
    // node:test's describe/it return promises the runner itself awaits.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    // Workflow code is replayed deterministically inside Temporal's sandbox: no Node built-ins, no I/O, and only the
    // contract and its own pure logic (plus the activities' types, erased at build time).
    files: ['workflows/**/*.ts', 'bench/workflows/**/*.ts', 'metrics/workflow-interceptor.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code must not use Node built-ins.' })),
            { name: 'undici', message: 'Workflow code must not do I/O: call an activity.' },
            { name: 'pino', message: 'Use the workflow logger from @temporalio/workflow.' },
            { name: 'zod', message: 'Workflow code accepts what its history recorded; validate at the boundary.' },
            { name: '@temporalio/client', message: 'Workflow code must not use the client.' },
            { name: '@temporalio/worker', message: 'Workflow code must not import the worker.' },
            { name: '@temporalio/activity', message: 'Workflow code must not import activity context.' },
          ],
          patterns: [
            {
              group: ['../contract/schemas.ts', '../../contract/schemas.ts'],
              allowTypeImports: true,
              message:
                'Only type imports of the zod schemas: the workflow reads its input with contract/recorded-input.ts.',
            },
            {
              group: ['../activities/*', '../../activities/*', '../noop-activities.ts'],
              allowTypeImports: true,
              message: 'Only type imports of the activities.',
            },
            {
              // workflows/<type>/*.ts: its own folder, another workflow type's (../<type>/), the contract.
              group: ['../../*', '!../../contract', '!../../activities'],
              message: 'Workflow code imports only the contract (contract/) and its own pure logic.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process'],
    },
  },
  {
    // The contract is what every part shares, so it depends on none of them (and is bundled into workflows).
    files: ['contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'The contract is bundled into workflow code: no Node built-ins.',
          })),
          patterns: [{ group: ['../*'], message: 'The contract imports nothing of the project.' }],
        },
      ],
    },
  },
  {
    // Only the worker (the bundle's entry point) and tests reach into workflows/; everyone else shares contract/.
    files: [
      'activities/**/*.ts',
      'api/**/*.ts',
      'client/**/*.ts',
      'codec/**/*.ts',
      'config/**/*.ts',
      'doctor/**/*.ts',
      'metrics/**/*.ts',
      'net/**/*.ts',
      'scripts/**/*.ts',
      'simulator/**/*.ts',
      'bench/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../workflows/*', '../../workflows/*', '../../../workflows/*'],
              message: 'Import the shared contract from contract/; only worker/ and tests import workflows/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The map page's browser script: plain JS without a build step, outside the TypeScript project.
    files: ['api/web/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { project: false, projectService: false, program: null },
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'fetch',
          'URL',
          'URLSearchParams',
          'Intl',
          'setTimeout',
          'clearTimeout',
          'console',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
