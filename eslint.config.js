// Lint rules: typescript-eslint's type-aware recommended set, plus the layering of DESIGN.md §2.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'out/', 'release/', 'test-results/', 'playwright-report/', '.stub-electron/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports (CONVENTIONS.md).' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Config files are loaded by their tools, which require a default export.
    files: ['*.config.ts', '*.config.js', 'electron.vite.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'src-shared is pure: no Node built-ins.' },
            { regex: '^(electron|react|react-dom)$', message: 'src-shared is pure: no electron or react.' },
            { regex: '^\\.\\./\\.\\./src-main', message: 'src-shared must not import upward.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/node/**/*.ts', 'src-main/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^electron', message: 'The node never imports electron (DESIGN.md §2).' },
            { regex: 'src-main/app', message: 'The node must not import the Electron shell.' },
          ],
        },
      ],
    },
  },
  {
    // The core sits below its faces (DESIGN.md §2): nothing in src-main/node outside local-api/ imports them.
    files: ['src-main/node/**/*.ts'],
    ignores: ['src-main/node/local-api/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^electron', message: 'The node never imports electron (DESIGN.md §2).' },
            { regex: 'src-main/app', message: 'The node must not import the Electron shell.' },
            {
              regex: '(^|/)local-api/',
              message: 'The core never imports its faces: declare what you need in running-node.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The desktop shell reaches the node only through serveNode and what RunningNode needs (node.ts builds
    // the node, running-node.ts describes it).
    files: ['src-main/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\.?/(\\.\\./)*node/(?!local-api/serve-node\\.ts$|node\\.ts$|running-node\\.ts$)',
              message:
                'The desktop shell imports from src-main/node only local-api/serve-node.ts, node.ts and running-node.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-renderer/src/**/*.ts', 'src-renderer/src/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'The renderer runs in a browser: no Node built-ins.' },
            { regex: '^electron', message: 'The renderer talks only to the ipc contract.' },
            { regex: 'src-main', message: 'The renderer talks only to the ipc contract.' },
          ],
        },
      ],
    },
  },
  prettier,
);
