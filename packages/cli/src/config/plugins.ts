/**
 * `plugins:` — a researcher's own model types and fusion rules, one file each, imported before
 * the configuration is validated so the types and rules they register are known to it. A plugin
 * file calls `registerModel` (from @emofuse/models) or `registerFusionRule` (from @emofuse/fusion).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, readYamlLayer, setLayers, type ConfigLayer } from './load.ts';
import { baseDirFor, displayPath } from './paths.ts';

/** The plugin paths the file and `--set` name (later layers replace the list), resolved where written. */
export function pluginPaths(file: string | undefined, set: readonly string[] = [], cwd = process.cwd()): { paths: string[]; where: string } {
  const layers: ConfigLayer[] = [];
  if (file !== undefined) layers.push(readYamlLayer(file));
  // Only `--set plugins=...` matters here; the other keys may belong to a plugin not loaded yet.
  layers.push(...setLayers(set.filter((a) => /^\s*plugins\s*=/.test(a)), cwd));
  let out = { paths: [] as string[], where: 'defaults' };
  for (const layer of layers) {
    const v = layer.values.plugins;
    if (v === undefined) continue;
    const base = layer.origin.kind === 'file' ? baseDirFor({ file: layer.origin.file }) : cwd;
    const where = layer.origin.kind === 'file' ? displayPath(layer.origin.file) : `--set ${(layer.origin as { arg: string }).arg}`;
    if (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || !p)) {
      throw new ConfigError([{ key: 'plugins', where, message: 'expected a list of file paths, e.g. [./my_model.ts]' }]);
    }
    out = { paths: v.map((p: string) => path.resolve(base, p)), where };
  }
  return out;
}

/** Import every plugin the experiment names; a missing or broken one is a configuration error. */
export async function importPlugins(file: string | undefined, set: readonly string[] = [], cwd = process.cwd()): Promise<string[]> {
  const { paths, where } = pluginPaths(file, set, cwd);
  for (const p of paths) {
    if (!existsSync(p)) {
      throw new ConfigError([{ key: 'plugins', where, message: `no such file: ${p}`, fix: 'give the path of a .ts or .js file that calls registerModel, registerFusionRule or registerFeatureSource, relative to the file that names it' }]);
    }
    try {
      await import(pathToFileURL(p).href);
    } catch (e) {
      throw new ConfigError([{ key: 'plugins', where, message: `cannot load ${displayPath(p)}: ${(e as Error).message.split('\n')[0]}`, fix: 'run it alone with `node --import tsx <file>` to see the whole error' }]);
    }
  }
  return paths;
}
