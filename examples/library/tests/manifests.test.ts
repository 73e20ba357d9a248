// Every package's package.json declares exactly the npm packages its src/ imports, at the root
// package.json's versions, and exports every @emofuse/<name>/<subpath> some package imports; so
// a tarball never installs without a dependency it needs, or with one it does not use.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

interface Manifest {
  name: string; version: string; type?: string;
  exports?: Record<string, string | { types?: string; import?: string }>;
  dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const repo = path.resolve(import.meta.dirname, '../../..');
const read = <T>(f: string): T => JSON.parse(readFileSync(f, 'utf8')) as T;
const root = read<Manifest & { devDependencies: Record<string, string> }>(path.join(repo, 'package.json'));
const rootVersions = { ...root.dependencies, ...root.devDependencies };
const projects = ['packages', 'apps'].flatMap((top) => readdirSync(path.join(repo, top)).map((d) => path.join(repo, top, d)))
  .filter((d) => existsSync(path.join(d, 'project.json')))
  .map((dir) => ({ dir, project: read<{ name: string }>(path.join(dir, 'project.json')).name, manifest: read<Manifest>(path.join(dir, 'package.json')) }));

const tsFiles = (dir: string): string[] => existsSync(dir)
  ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name))
  : [];
/** Bare specifiers: static and dynamic imports, re-exports and require.resolve. */
function specifiers(files: string[]): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|require(?:\.resolve)?\(\s*)'([^'.][^']*)'/g;
  return files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(re)].map((m) => m[1]))
    .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s));
}
const packageOf = (s: string) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/');

describe('package manifests', () => {
  it('one per Nx project, named @emofuse/<project>, at the root version, ESM, exporting built files', () => {
    expect(projects.length).toBeGreaterThanOrEqual(8);
    for (const { dir, project, manifest: m } of projects) {
      expect(m.name, dir).toBe(`@emofuse/${project}`);
      expect(m.version, m.name).toBe(root.version);
      expect(m.type, m.name).toBe('module');
      expect(m.exports?.['.'], m.name).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
      expect(existsSync(path.join(dir, 'tsconfig.build.json')), `${m.name}: tsconfig.build.json`).toBe(true);
    }
  });

  it('dependencies are what src/ imports, at the root package.json versions', () => {
    for (const { dir, manifest: m } of projects) {
      const imported = new Set(specifiers(tsFiles(path.join(dir, 'src'))).map(packageOf));
      imported.delete(m.name);
      const declared = { ...m.dependencies, ...m.optionalDependencies, ...m.peerDependencies };
      expect(Object.keys(declared).sort(), `${m.name}: declared vs imported`).toEqual([...imported].sort());
      for (const [dep, range] of Object.entries(declared)) {
        expect(range, `${m.name} -> ${dep}`).toBe(dep.startsWith('@emofuse/') ? root.version : rootVersions[dep]);
      }
    }
  });

  it('the native tfjs binding is an optional peer, never installed by default', () => {
    for (const { manifest: m } of projects) {
      expect(m.dependencies?.['@tensorflow/tfjs-node'], m.name).toBeUndefined();
      expect(m.optionalDependencies?.['@tensorflow/tfjs-node'], m.name).toBeUndefined();
      if (m.peerDependencies?.['@tensorflow/tfjs-node']) expect(m.peerDependenciesMeta?.['@tensorflow/tfjs-node']?.optional, m.name).toBe(true);
    }
  });

  it('every @emofuse/<name>/<subpath> imported anywhere is exported, and resolves in the build', () => {
    const files = projects.flatMap(({ dir }) => [...tsFiles(path.join(dir, 'src')), ...tsFiles(path.join(dir, 'tests'))]);
    const deep = new Set(specifiers(files).filter((s) => s.startsWith('@emofuse/') && s.split('/').length > 2));
    const paths = read<{ compilerOptions: { paths: Record<string, string[]> } }>(path.join(repo, 'tsconfig.build.base.json')).compilerOptions.paths;
    for (const s of deep) {
      const owner = projects.find((p) => p.manifest.name === packageOf(s));
      expect(owner, s).toBeDefined();
      expect(Object.keys(owner!.manifest.exports ?? {}), `${s}: add "./${s.split('/').slice(2).join('/')}" to exports of ${owner!.manifest.name}`).toContain(`./${s.split('/').slice(2).join('/')}`);
    }
    for (const { manifest: m } of projects) {
      expect(paths[m.name], `tsconfig.build.base.json paths: ${m.name}`).toBeDefined();
      expect(paths[`${m.name}/*`], `tsconfig.build.base.json paths: ${m.name}/*`).toBeDefined();
    }
  });
});
