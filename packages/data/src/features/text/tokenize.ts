/**
 * The transcript tokenizer. Rules, in order (each chosen to match how GloVe/word2vec/FastText
 * vocabularies were built, so that as many tokens as possible get a pre-trained vector):
 *
 * 1. IEMOCAP markup in square brackets, matched case-insensitively:
 *    - `[LAUGHTER]` -> `<laughter>` and `[BREATHING]` -> `<breathing>`: non-verbal cues that carry
 *      emotion (laughter goes with happiness/excitement, audible breathing/sighs with
 *      frustration/sadness), so they are kept as tokens. No pre-trained vocabulary has `<laughter>`;
 *      the embedding lookup backs off to the plain words `laughter` / `breathing` (see BACKOFF).
 *    - `[GARBAGE]` (unintelligible speech), `[NOISE]`, `[LIPSMACK]` and any other bracketed tag are
 *      dropped: they carry no words, and the literal word "garbage" would inject a wrong meaning.
 * 2. Lowercase (wink/GloVe-6B vocabularies are lowercase; `loadVecFile` folds cased files).
 * 3. Contractions are split the Penn-Treebank way, as in the text GloVe was trained on:
 *    "don't" -> do n't, "can't" -> ca n't, "won't" -> wo n't, "I'm" -> i 'm, "it's" -> it 's,
 *    and 're 've 'll 'd likewise. Vocabularies without clitic tokens (wink has none) get them
 *    through the backoff table (n't -> not, 'm -> am, ...).
 * 4. Punctuation: `?` and `!` are kept as tokens (questions and exclamations are emotion cues and
 *    every vocabulary has them); all other punctuation (. , ; : " ( ) ... and stray quotes) is dropped.
 *    Hyphens inside a word are kept ("uh-huh", "e-mail"); a hyphen marking a cut-off word ("you-")
 *    or a dash between words is dropped. Leading/trailing apostrophes ("'cause", "goin'") are dropped.
 * 5. Numbers are kept as their digit string ("1990", "3.5"); IEMOCAP spells numbers out, and
 *    vocabularies that have digits (GloVe, FastText) then find them.
 */
export const TOKENIZER_VERSION = 'emofuse-tok-1';

/** Bracketed markup kept as a token; every other `[TAG]` is dropped. */
export const KEPT_MARKUP: Readonly<Record<string, string>> = { laughter: '<laughter>', breathing: '<breathing>' };

const CLITIC = /^(.+?)(n't|'s|'m|'re|'ve|'ll|'d)$/;

export function tokenize(text: string): string[] {
  const out: string[] = [];
  // Markup first, before lowercasing, so that tags survive as one unit.
  const spaced = text.replace(/\[([^\]]*)\]/g, (_m, tag: string) => {
    const kept = KEPT_MARKUP[tag.trim().toLowerCase()];
    return kept ? ` ${kept} ` : ' ';
  });
  // Typographic apostrophes (’ ‘) count as ASCII ones, so "don’t" splits like "don't".
  for (const raw of spaced.toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").split(/\s+/)) {
    if (!raw) continue;
    if (raw.startsWith('<') && raw.endsWith('>') && Object.values(KEPT_MARKUP).includes(raw)) {
      out.push(raw);
      continue;
    }
    // Split "?" and "!" off as their own tokens; everything else that is not a word character,
    // apostrophe, hyphen or a decimal point inside a number separates words.
    for (const piece of raw.split(/([?!])/)) {
      if (piece === '?' || piece === '!') {
        out.push(piece);
        continue;
      }
      for (let w of piece.split(/[^\p{L}\p{N}'.-]+/u)) {
        // A dot stays only between digits ("3.5"); a run of hyphens is a dash between words.
        w = w.replace(/\.(?!\d)|(?<!\d)\./g, ' ').replace(/-{2,}/g, ' ').trim();
        for (let part of w.split(' ')) {
          part = part.replace(/^[-']+|[-']+$/g, '');
          if (!part) continue;
          const m = CLITIC.exec(part);
          if (m && /[\p{L}]/u.test(m[1])) {
            out.push(m[1], m[2]);
          } else {
            out.push(part);
          }
        }
      }
    }
  }
  return out;
}
