"""Keras end to end on the protocol of experiments/iemocap/text_lstm.yaml, for one seed: the twin
of `./emofuse run experiments/iemocap/text_lstm.yaml --seed N`, timed from start to report.

  python benchmarks/train_keras_iemocap.py --run runs/iemocap-text_lstm/<run-id>-s1 \\
      --features .cache/features/<key>.arrow [--pkl ../shared/data/iemocap/iemocap.pkl] [--out DIR]

It reads what the emofuse run used, so both sides see the same numbers: the word-embedding
sequences from emofuse's feature cache (Arrow: id, values = steps x dim floats, length) and the
run's split (splits/main.json: train / valid / test utterance ids; session 5 is test). Then, as
emofuse does: the text LSTM (words reading, train_keras.make_model), Adam 1e-3, batch 32, up to
40 epochs, early stopping on validation loss (patience 6, best weights restored), one scoring of
the test set (UA, WA, weighted F1), a JSON + Markdown report. Needs keras, tensorflow, pyarrow.
Prints one JSON line: seconds (wall, cpu, from before `import tensorflow` to the report written),
peak RSS (MB), epochs run, best epoch, test scores.
"""
import time

T0 = time.perf_counter()
C0 = time.process_time()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
CLASSES = ["hap", "sad", "neu", "ang", "exc", "fru"]  # the pickle's label order


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="the emofuse run directory (for splits/main.json)")
    ap.add_argument("--features", required=True, help="emofuse's cached word-embedding sequences (.arrow)")
    ap.add_argument("--pkl", default=os.path.join(os.path.dirname(__file__), "../../shared/data/iemocap/iemocap.pkl"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None, help="report folder (default: <run>/keras-twin)")
    a = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import pyarrow.ipc as ipc
    import keras
    from train_keras import make_model

    split = json.load(open(os.path.join(a.run, "splits", "main.json")))
    meta = pickle.load(open(a.pkl, "rb"), encoding="latin1")
    labels = {}
    for dialogue, ls in meta[1].items():
        for i, lab in enumerate(ls):
            labels[f"{dialogue}_{i:03d}"] = int(lab)
    table = ipc.open_file(a.features).read_all()
    info = json.loads(table.schema.metadata[b"emofuse"])
    steps, dim = info["steps"], info["dim"]
    ids = table.column("id").to_pylist()
    values = table.column("values").combine_chunks().flatten().to_numpy(zero_copy_only=False).reshape(len(ids), steps, dim)
    lengths = table.column("length").to_numpy()
    row = {u: i for i, u in enumerate(ids)}

    def part(name):
        idx = np.array([row[u] for u in split[name]])
        mask = (np.arange(steps)[None, :] < lengths[idx][:, None]).astype(np.float32)
        y = np.array([labels[u] for u in split[name]])
        return [values[idx], mask], y

    (xtr, ytr), (xva, yva), (xte, yte) = part("train"), part("valid"), part("test")
    keras.utils.set_random_seed(a.seed)
    model = make_model("text-lstm", steps, dim, classes=len(CLASSES))
    onehot = lambda y: keras.utils.to_categorical(y, len(CLASSES))  # noqa: E731
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=6, restore_best_weights=True)
    hist = model.fit(xtr, onehot(ytr), validation_data=(xva, onehot(yva)), batch_size=32, epochs=40,
                     shuffle=True, verbose=2, callbacks=[stop])
    pred = model.predict(xte, batch_size=256, verbose=0).argmax(-1)
    k = len(CLASSES)
    recall = [float(np.mean(pred[yte == c] == c)) for c in range(k) if np.any(yte == c)]
    f1s, support = [], []
    for c in range(k):
        tp = np.sum((pred == c) & (yte == c))
        prec = tp / max(1, np.sum(pred == c))
        rec = tp / max(1, np.sum(yte == c))
        f1s.append(0.0 if tp == 0 else 2 * prec * rec / (prec + rec))
        support.append(np.sum(yte == c))
    scores = {"ua": float(np.mean(recall)), "wa": float(np.mean(pred == yte)),
              "f1": float(np.average(f1s, weights=support))}
    losses = hist.history["val_loss"]
    best = int(np.argmin(losses)) + 1
    out = a.out or os.path.join(a.run, "keras-twin")
    os.makedirs(out, exist_ok=True)
    report = {"system": "text-lstm (Keras twin)", "seed": a.seed, "epochs": len(losses), "bestEpoch": best,
              "test": scores, "validLoss": losses}
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(f"# Keras twin of iemocap-text_lstm, seed {a.seed}\n\n| UA | WA | F1 | epochs | best |\n|---|---|---|---|---|\n"
                f"| {100 * scores['ua']:.2f} | {100 * scores['wa']:.2f} | {100 * scores['f1']:.2f} | {len(losses)} | {best} |\n")
    print(json.dumps({"wall": time.perf_counter() - T0, "cpu": time.process_time() - C0,
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "epochs": len(losses), "bestEpoch": best, "test": scores, "report": out}))


if __name__ == "__main__":
    main()
