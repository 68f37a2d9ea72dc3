// @ts-check
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import local from './tools/eslint/type-import-cycles.js';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

/**
 * The top folders in layers, lowest first: a folder imports only folders of lower layers, never one of its own layer
 * or above (docs/development.md, "Layout rules"). So no two folders can import each other, even through others.
 * test/ and tools/ stand outside: they may import any of them.
 */
const LAYERS = [
  ['contract', 'net'],
  ['codec', 'simulator'],
  ['config'],
  ['activities', 'client', 'metrics', 'registry'],
  ['workflows', 'doctor'],
  ['worker', 'api', 'cli'],
  ['scripts'],
  ['bench'],
];
const layerOf = new Map(LAYERS.flatMap((folders, layer) => folders.map((folder) => [folder, layer])));
const layerZones = [...layerOf].flatMap(([folder, layer]) => {
  const above = [...layerOf].filter(([other, at]) => other !== folder && at >= layer).map(([other]) => `./${other}`);
  const lower = LAYERS.slice(0, layer).flat().join(', ') || 'none';
  const message = `${folder}/ imports only lower layers (${lower}): docs/development.md, "Layout rules".`;
  return above.length > 0 ? [{ target: `./${folder}`, from: above, message }] : [];
});
/** The simulator stands in for OZmap on its own: a misreading of OZmap must not hide by being shared with it. */
const simulatorZone = {
  target: './simulator',
  from: [...layerOf.keys()].filter((folder) => folder !== 'simulator' && folder !== 'net').map((f) => `./${f}`),
  message: 'The simulator shares no code with the service (net/ aside): docs/architecture.md, "simulator/".',
};

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.tools/', 'test-results/', 'test-artifacts/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'bench/thread-probe.js', 'tools/eslint/*.js'] },
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
    // Imports: no cycle between files or folders, and every package imported is declared in package.json.
    plugins: { 'import-x': importX, local },
    settings: {
      // Imports name their .ts files, so Node's resolution finds them; import-x reads them with TypeScript's parser.
      'import-x/resolver-next': [createNodeResolver()],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      // An import that does not resolve is invisible to the rules below: it must fail, not pass unseen.
      'import-x/no-unresolved': 'error',
      // Cycles of imports that run (import-x skips type-only imports) and those that pass through a type import.
      'import-x/no-cycle': 'error',
      'local/type-import-cycles': 'error',
      'import-x/no-restricted-paths': [
        'error',
        { basePath: import.meta.dirname, zones: [...layerZones, simulatorZone] },
      ],
      // Production code runs with dependencies only (npm ci --omit=dev); tests, scripts, bench and tools may use all.
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          devDependencies: ['test/**', 'scripts/**', 'bench/**', 'tools/**', 'eslint.config.js'],
          optionalDependencies: false,
          peerDependencies: false,
        },
      ],
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
      // A failing assert(x) or assert.ok(x) with no message makes Node read the call's source to write one; under
      // tsx (whitespace-minified code) it reads the .ts file at the wrong place and can block the process for a
      // minute and more (nodejs/node#52677, #52962), worker included. A poll fails on purpose until it passes, so its
      // assertions always carry a message.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.name=/^(eventually|retryUntil)$/] CallExpression[arguments.length=1]' +
            ':matches([callee.name="assert"], [callee.object.name="assert"][callee.property.name="ok"])',
          message: "A poll's assert.ok needs a message: Node's own one can block the process for minutes under tsx.",
        },
      ],
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
      'cli/**/*.ts',
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
