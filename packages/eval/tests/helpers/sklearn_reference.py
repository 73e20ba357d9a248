"""Reference values from scikit-learn / scipy / numpy for the eval tests.

Reads {"cases": [...], "samples": [...]} as JSON on stdin, writes the same shape on stdout.
Each case: {"k": int, "truth": [int], "pred": [int], "predB": [int]} (class indices).
Each sample: [float] (for mean / sample std / percentiles).
"""
import json
import sys
import warnings

import numpy as np
from scipy.stats import binomtest, chi2
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score,
                             precision_recall_fscore_support, recall_score)


def case(c):
    t = np.asarray(c["truth"])
    p = np.asarray(c["pred"])
    labels = list(range(c["k"]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prec, rec, f1, support = precision_recall_fscore_support(t, p, labels=labels, average=None)
        out = {
            "wa": accuracy_score(t, p),
            "ua": balanced_accuracy_score(t, p),
            "recallMacro": recall_score(t, p, average="macro"),
            "f1": f1_score(t, p, average="weighted"),
            "f1AllLabels": f1_score(t, p, average="weighted", labels=labels),
            "macroF1": f1_score(t, p, average="macro"),
            "precision": prec.tolist(),
            "recall": rec.tolist(),
            "perClassF1": f1.tolist(),
            "support": support.tolist(),
            "confusion": confusion_matrix(t, p, labels=labels).tolist(),
            "confusionRate": confusion_matrix(t, p, labels=labels, normalize="true").tolist(),
        }
    out["undefinedWarnings"] = sum(1 for w in caught if issubclass(w.category, UndefinedMetricWarning))
    a = p == t
    b = np.asarray(c["predB"]) == t
    a_only = int(np.sum(a & ~b))
    b_only = int(np.sum(~a & b))
    d = a_only + b_only
    if d > 0:
        stat = (abs(a_only - b_only) - 1) ** 2 / d
        out["mcnemar"] = {
            "aOnly": a_only,
            "bOnly": b_only,
            "pExact": binomtest(a_only, d, 0.5).pvalue,
            "pExactAGreater": binomtest(a_only, d, 0.5, alternative="greater").pvalue,
            "chi2": stat,
            "pChi2": chi2.sf(stat, 1),
        }
    return out


def sample(v):
    x = np.asarray(v, dtype=float)
    lo, hi = np.percentile(x, [2.5, 97.5])
    return {"mean": float(np.mean(x)), "std": float(np.std(x, ddof=1)), "p025": float(lo), "p975": float(hi)}


data = json.load(sys.stdin)
json.dump({"cases": [case(c) for c in data["cases"]], "samples": [sample(s) for s in data["samples"]]}, sys.stdout)
