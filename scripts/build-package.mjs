// Builds one package for publishing: dist/ from scratch, tsc (tsconfig.build.json: JavaScript with
// ./x.ts rewritten to ./x.js, plus .d.ts), then every non-TypeScript file under src/ that code reads
// at runtime (e.g. data's smilextract.py) copied to the same place under dist/, then a check that
// every path the package.json exports exists; a package's "emofuse.bundle" files are copied in too. Usage: node scripts/build-package.mjs <project root>
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const arg = process.argv[2];
if (!arg) {
  console.error('usage: node scripts/build-package.mjs <project root, e.g. packages/core>');
  process.exit(2);
}
const dir = path.resolve(root, arg);
const manifestFile = path.join(dir, 'package.json');
const tsconfig = path.join(dir, 'tsconfig.build.json');
for (const f of [manifestFile, tsconfig]) {
  if (!existsSync(f)) {
    console.error(`build-package: ${path.relative(root, f)} does not exist; every published package needs a package.json and a tsconfig.build.json`);
    process.exit(2);
  }
}
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
const src = path.join(dir, 'src');
const dist = path.join(dir, 'dist');

// A file deleted from src/ must not live on in dist/ (and in the tarball).
rmSync(dist, { recursive: true, force: true });
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', tsconfig], { stdio: 'inherit', cwd: root });
if (r.status !== 0) {
  console.error(`build-package: tsc failed for ${manifest.name} (${path.relative(root, tsconfig)})`);
  process.exit(r.status ?? 1);
}

// Docs stay in the repository; everything else non-TS under src/ is a runtime asset.
const assets = readdirSync(src, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && !e.name.endsWith('.ts') && !e.name.endsWith('.md'))
  .map((e) => path.relative(src, path.join(e.parentPath, e.name)));
for (const a of assets) cpSync(path.join(src, a), path.join(dist, a));

// Files from outside the package that it ships, named once in package.json "emofuse": { "bundle":
// { "<dest in the package>": "<source, relative to the package>" } } (the CLI's example experiments
// for `emofuse init`): copied at build time, never kept twice in git.
for (const [dest, from] of Object.entries(manifest.emofuse?.bundle ?? {})) {
  const source = path.resolve(dir, from);
  if (!existsSync(source)) {
    console.error(`build-package: ${manifest.name} bundles ${from}, which does not exist (check "emofuse.bundle" in ${path.relative(root, manifestFile)})`);
    process.exit(1);
  }
  cpSync(source, path.join(dir, dest), { recursive: true });
  assets.push(`${dest} (from ${path.relative(root, source)})`);
}

// Every export target must exist, or the tarball would install and then fail on import.
const targets = [];
const walk = (v) => {
  if (typeof v === 'string') targets.push(v);
  else if (v && typeof v === 'object') Object.values(v).forEach(walk);
};
walk(manifest.exports);
const missing = targets.filter((t) => !existsSync(path.join(dir, t)));
if (missing.length) {
  console.error(`build-package: ${manifest.name} exports files the build did not make: ${missing.join(', ')} (check "exports" in ${path.relative(root, manifestFile)})`);
  process.exit(1);
}
console.log(`${manifest.name}: built ${path.relative(root, dist)}/${assets.length ? ` (assets: ${assets.join(', ')})` : ''}`);
