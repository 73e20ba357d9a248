import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;
// Exact matches, so '@emofuse/models/config' is not read as '@emofuse/models' + '/config' (nor '@emofuse/data/solver').
const alias = [
  ['core', 'packages/core'], ['data', 'packages/data'], ['models', 'packages/models'],
  ['fusion', 'packages/fusion'], ['eval', 'packages/eval'], ['tracking', 'packages/tracking'],
  ['cli', 'packages/cli'], ['report', 'apps/report'],
].map(([name, dir]) => ({ find: new RegExp(`^@emofuse/${name}$`), replacement: path.join(root, dir, 'src/index.ts') }));
alias.push({ find: /^@emofuse\/models\/config$/, replacement: path.join(root, 'packages/models/src/config.ts') });
alias.push({ find: /^@emofuse\/data\/solver$/, replacement: path.join(root, 'packages/data/src/features/solver.ts') });

/** One vitest config per project; every project also writes a JSON report that scripts/test.sh totals. */
export function projectConfig(name: string, dir: string) {
  return defineConfig({
    resolve: { alias },
    test: {
      name,
      root: dir,
      include: ['tests/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      testTimeout: 120_000,
      hookTimeout: 180_000,
      reporters: ['default', ['json', { outputFile: path.join(root, 'reports/vitest', `${name}.json`) }]],
    },
  });
}
