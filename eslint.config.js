import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import importX from 'eslint-plugin-import-x';
import importCircle from './scripts/eslint-import-circle.mjs';

// The one-way chain: corpus -> features -> models -> posteriors -> fusion -> metrics -> tracking -> report.
// A layer may import only from layers to its left; `core` holds the shared contracts; `cli` composes all.
const chain = ['core', 'data', 'models', 'fusion', 'eval', 'tracking', 'report'];
const depConstraints = [
  ...chain.map((layer, i) => ({
    sourceTag: `layer:${layer}`,
    onlyDependOnLibsWithTags: chain.slice(0, i).map((l) => `layer:${l}`),
  })),
  { sourceTag: 'layer:cli', onlyDependOnLibsWithTags: chain.map((l) => `layer:${l}`) },
  // The library example uses the packages as a researcher would, through their public entries.
  { sourceTag: 'layer:example', onlyDependOnLibsWithTags: [...chain, 'cli'].map((l) => `layer:${l}`) },
];
// Narrower than the chain: fusion and eval take posteriors and labels, never models or features.
for (const c of depConstraints) {
  if (c.sourceTag === 'layer:fusion') c.onlyDependOnLibsWithTags = ['layer:core'];
  if (c.sourceTag === 'layer:eval') c.onlyDependOnLibsWithTags = ['layer:core', 'layer:fusion'];
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.cache/**', 'runs/**', 'mlruns/**', 'reports/**', '.venv/**', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx, 'import-x': importX, emofuse: importCircle },
    // Relative imports name their .ts files; package names (@emofuse/*) stay unresolved here, and
    // the module-boundary rule above already keeps the packages from importing each other in a circle.
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'] })],
    },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints, enforceBuildableLibDependency: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A type is imported as a type, so that what remains is what runs at load.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // No file may reach itself through what it imports at run time (import type edges are erased,
      // and the rule does not follow them): an import circle fails the lint, and so the build.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // The same for the circles that type imports alone hold together, which import-x passes over.
      'emofuse/no-import-circle': 'error',
    },
  },
);
