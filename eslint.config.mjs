// ESLint for the whole tree, run by `npm test` (`npm run lint`). TypeScript gets typescript-eslint's
// type-aware rules (floating and misused promises, unsafe `any`), with each file checked against its own
// tsconfig (the webview's for webview-ui/). The import boundaries of the architecture are rules here too.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'dist-vsix/', 'out/', '.cache/', '.vscode-test/', 'artifacts/', 'media/']),
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,

  // Plain JavaScript (build scripts, the stdio fixture, this file): Node globals, no type information.
  { files: ['**/*.{js,mjs,cjs}'], languageOptions: { globals: globals.node } },

  {
    files: ['**/*.{ts,mts,cts}'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Handing a caught reason on unchanged (`(e: unknown) => reject(e)`) is not inventing a non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Implementations of promise-returning ports and SDK callbacks are `async` so that a throw rejects;
      // dropping `async` where nothing is awaited would turn those rejections into synchronous throws.
      '@typescript-eslint/require-await': 'off',
    },
  },
  // Tests read stored secrets, JWT parts and wire bodies with JSON.parse; the shape is what they assert,
  // and a wrong one fails the assertion. Typed code under test keeps every unsafe-* rule.
  {
    files: ['test/{unit,integration,security}/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  // The core runs under plain Node and in tests: no `vscode`, and none of the editor adapters.
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core never imports vscode: it reaches the editor through the ports in src/core/ports.ts.' }],
          patterns: [{ regex: '(^|/)vscode/', message: 'src/core never imports the editor adapters in src/vscode/.' }],
        },
      ],
    },
  },
  // The protocol is bundled into both the extension and the webview, so it imports nothing.
  {
    files: ['src/protocol.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['ImportDeclaration', 'ImportExpression', 'ExportAllDeclaration', 'ExportNamedDeclaration[source]', 'TSImportEqualsDeclaration'].map((selector) => ({
          selector,
          message: 'src/protocol.ts imports nothing (not vscode, not Node): the extension and the webview both bundle it.',
        })),
      ],
    },
  },
  // The webview runs in the browser sandbox and talks to the extension only through the protocol.
  // Besides its own files it may use the packages bundled into it: lit (and its directives), single
  // @vscode-elements/elements components (never the whole bundle) and the MCP Apps SDK's host side
  // (@modelcontextprotocol/ext-apps/app-bridge, for the tool runner's apps). A sibling folder's file
  // (../components/x) is fine; test/unit/boundaries.test.ts checks exactly that it stays in webview-ui.
  {
    files: ['webview-ui/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?!(?:\\.\\./){1,2}src/protocol$|\\./(?!.*\\.\\.)|\\.\\./(?!src/)(?!.*\\.\\.)|lit(?:/directives/[a-z-]+\\.js)?$|@vscode-elements/elements/dist/vscode-[a-z-]+/index\\.js$|@modelcontextprotocol/ext-apps/app-bridge$)',
              message: 'webview-ui imports only ../src/protocol, its own files, lit, single @vscode-elements/elements components and @modelcontextprotocol/ext-apps/app-bridge.',
            },
          ],
        },
      ],
    },
  },
);
