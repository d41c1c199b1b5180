import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'examples/*/dist/', 'node_modules/', 'coverage/', 'test-results/', 'bench/out/', '.scratch/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', 'demo/**', 'bench/**', 'test/**'],
    languageOptions: {
      globals: {
        console: 'readonly', process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', fetch: 'readonly',
        Buffer: 'readonly', window: 'readonly', document: 'readonly', performance: 'readonly',
        globalThis: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly',
        XMLHttpRequest: 'readonly', navigator: 'readonly', TextEncoder: 'readonly', AbortController: 'readonly',
        Deno: 'readonly', location: 'readonly', history: 'readonly', URLSearchParams: 'readonly', Blob: 'readonly',
        localStorage: 'readonly', sessionStorage: 'readonly', addEventListener: 'readonly', PerformanceObserver: 'readonly',
      },
    },
  },
);
