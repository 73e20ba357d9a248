// Prints, as JSON lines, what emofuse's text models read from an IEMOCAP metadata pickle: per
// utterance its id, dialogue, position, text, tokens (`tokenize`) and the mean of its looked-up
// wink vectors (`embedMean`, i.e. lookupToken with BACKOFF). scripts/text_baselines.py runs it so
// that its diagnostics use the project's tokenizer and lookup, not a Python copy of them.
// Usage: node --import tsx scripts/tokens.ts path/to/iemocap.pkl
import { EmofuseError } from '@emofuse/core';
import { TOKENIZER_VERSION, corpusVocabulary, embedMean, loadWinkEmbeddings, readIemocapPickle, tokenize } from '@emofuse/data';

const file = process.argv[2];
if (!file) throw new EmofuseError('name the IEMOCAP metadata pickle', { where: 'scripts/tokens.ts', fix: 'node --import tsx scripts/tokens.ts path/to/iemocap.pkl' });
const utterances = readIemocapPickle(file).utterances;
// As the text pipeline does: keep only the corpus's words (and their backoffs) from the 300 MB file.
const emb = await loadWinkEmbeddings({ vocab: corpusVocabulary(utterances) });
const { matrix, stats } = embedMean(utterances, emb);

const lines: string[] = [JSON.stringify({ tokenizer: TOKENIZER_VERSION, embeddings: emb.source, dim: matrix.dim, stats })];
utterances.forEach((u, i) => {
  const mean = Array.from(matrix.values.subarray(i * matrix.dim, (i + 1) * matrix.dim));
  lines.push(JSON.stringify({ id: u.id, dialogue: u.dialogue, order: u.order, text: u.text, tokens: tokenize(u.text), mean }));
});
process.stdout.write(lines.join('\n') + '\n');
