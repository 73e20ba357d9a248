import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EmofuseError, buildDirAtomic, writeFileAtomic, writeJsonAtomic } from '@emofuse/core';
import { modelConfigSchema, modelDefaults } from './model-config.ts';
import { modelTypes } from './descriptor.ts';
import './layers/index.ts'; // registers the custom layers before any model.json is deserialised
import type { EmofuseModel } from './model.ts';

const META = 'emofuse.json';

/**
 * Saves in the tfjs layers format (model.json + weights.bin, the layout tfjs-node's file://
 * writes, so either loads the other) plus emofuse.json (type, classes, config, input shapes).
 * Our own handler, so it works on every backend; the directory appears complete or not at all.
 */
export async function saveModel(model: EmofuseModel, dir: string): Promise<void> {
  await buildDirAtomic(dir, async (tmp) => {
    await model.net.save(tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : new tf.io.CompositeArrayBuffer(artifacts.weightData).slice();
      writeFileAtomic(path.join(tmp, 'weights.bin'), new Uint8Array(weightData));
      writeJsonAtomic(path.join(tmp, 'model.json'), {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    }));
    writeJsonAtomic(path.join(tmp, META), {
      format: 'emofuse-model', version: 1,
      type: model.type, classes: model.classes, config: model.config, input: model.input, seed: model.seed,
    });
  });
}

export async function loadModel(dir: string): Promise<EmofuseModel> {
  for (const f of ['model.json', 'weights.bin', META]) {
    if (!existsSync(path.join(dir, f))) {
      throw new EmofuseError(`missing ${f}`, { where: dir, fix: 'point at a directory written by saveModel (runs/<experiment>/<run>/models/<system>)' });
    }
  }
  const readJson = (f: string) => {
    try {
      return JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    } catch (e) {
      throw new EmofuseError(`cannot parse ${f}: ${(e as Error).message}`, { where: path.join(dir, f), cause: e });
    }
  };
  const meta = readJson(META);
  if (meta.format !== 'emofuse-model' || typeof meta.type !== 'string' || !Array.isArray(meta.classes)) {
    throw new EmofuseError('not an emofuse model description (format, type or classes missing)', { where: path.join(dir, META) });
  }
  if (!modelTypes().includes(meta.type)) {
    throw new EmofuseError(`model type ${JSON.stringify(meta.type)} is not registered (known: ${modelTypes().join(', ')})`, {
      where: path.join(dir, META), fix: `import the file that registers ${meta.type} before loading the model`,
    });
  }
  // A model saved before a slice existed reads with that slice's defaults.
  const config = modelConfigSchema().safeParse({ ...modelDefaults(), ...meta.config });
  if (!config.success) throw new EmofuseError(`config does not validate: ${config.error.issues[0].message}`, { where: path.join(dir, META) });
  const json = readJson('model.json');
  const bin = readFileSync(path.join(dir, 'weights.bin'));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  const weightSpecs = (json.weightsManifest ?? []).flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights);
  let net: tf.LayersModel;
  try {
    net = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format }));
  } catch (e) {
    throw new EmofuseError(`cannot load the network: ${(e as Error).message}`, { where: dir, cause: e });
  }
  const seed = Number(meta.seed) || 1;
  return { type: meta.type as string, classes: meta.classes, config: config.data, input: meta.input, seed, net };
}
