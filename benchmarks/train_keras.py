"""Keras side of benchmarks/train.bench.ts: the same three models, the same shapes, timed per epoch.

Run by the TypeScript benchmark with a Python that has TensorFlow (tensorflow-cpu wheel):
  python benchmarks/train_keras.py --model speech-cnn --utterances 5810 --epochs 2
Prints one JSON line: {"model", "epochs": [wall seconds...], "cpu": [process cpu seconds...], "predict": utterances/s
(model.predict, batch 256, median of 3), "rss": peak RSS in MB after training, "threads": {...}, "tf": version}.
Random data of the paper's shapes; the numbers are timings, never scores.
"""
import argparse
import json
import os
import resource
import time


def make_model(model_name, steps=50, emb=100, speech_dim=100, classes=6):
    """The Keras twin of emofuse's model (compiled: Adam 1e-3, categorical cross-entropy)."""
    import keras
    from keras import layers

    def head(x):
        x = layers.Dense(512, activation="relu")(x)
        x = layers.Dense(128, activation="relu")(x)
        return layers.Dense(classes, activation="softmax")(x)

    def cnn(signal):
        x = signal
        for _ in range(2):
            x = layers.Conv1D(128, 5, activation="relu")(x)
            x = layers.MaxPooling1D(2)(x)
        return layers.Flatten()(x)

    def text_conv(x):
        maps = [layers.Conv1D(64, w, padding="same", activation="relu")(x) for w in (3, 4, 5)]
        return layers.Concatenate()(maps)

    if model_name == "speech-cnn":
        s = keras.Input((speech_dim,))
        model = keras.Model(s, head(cnn(layers.Reshape((speech_dim, 1))(s))))
    elif model_name == "text-lstm":
        # the 'words' reading (emofuse's default): per-word conv features, projected to D_T, masked LSTM
        w = keras.Input((steps, emb))
        m = keras.Input((steps,))
        c = text_conv(w)
        p = layers.Dense(100, activation="tanh")(c)
        p = layers.Multiply()([p, layers.Reshape((steps, 1))(m)])
        h = layers.LSTM(128, dropout=0.2)(p, mask=layers.Lambda(lambda t: keras.ops.cast(t, "bool"))(m))
        model = keras.Model([w, m], head(h))
    else:
        # joint-CNN, text branch trained jointly from the embeddings
        w = keras.Input((steps, emb))
        m = keras.Input((steps,))
        s = keras.Input((speech_dim,))
        c = text_conv(w)
        c = layers.Multiply()([c, layers.Reshape((steps, 1))(m)])
        t = layers.Dense(100, activation="tanh")(layers.GlobalMaxPooling1D()(c))
        u = layers.Dense(200, activation="tanh")(layers.Concatenate()([t, s]))
        model = keras.Model([w, m, s], head(cnn(layers.Reshape((200, 1))(u))))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def build(model_name, n=5810, batch=32, steps=50, emb=100, speech_dim=100, classes=6):
    """The model and random data of the paper's shapes: (model, inputs, one-hot labels)."""
    import numpy as np
    import keras

    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    y = keras.utils.to_categorical(rng.integers(0, classes, n), classes)
    speech = rng.random((n, speech_dim), dtype=np.float32)
    words = rng.standard_normal((n, steps, emb), dtype=np.float32)
    lengths = rng.integers(3, steps + 1, n)
    mask = (np.arange(steps)[None, :] < lengths[:, None]).astype(np.float32)
    words *= mask[:, :, None]
    model = make_model(model_name, steps, emb, speech_dim, classes)
    xs = {"speech-cnn": speech, "text-lstm": [words, mask], "joint-cnn": [words, mask, speech]}[model_name]
    return model, xs, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=["text-lstm", "speech-cnn", "joint-cnn"])
    ap.add_argument("--utterances", type=int, default=5810)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--emb", type=int, default=100)
    ap.add_argument("--speech", type=int, default=100)
    ap.add_argument("--classes", type=int, default=6)
    ap.add_argument("--threads", type=int, default=0, help="intra/inter-op threads (0 = TensorFlow's default)")
    a = ap.parse_args()

    import tensorflow as tf
    import keras

    if a.threads:
        tf.config.threading.set_intra_op_parallelism_threads(a.threads)
        tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    model, xs, y = build(a.model, a.utterances, a.batch, a.steps, a.emb, a.speech, a.classes)
    times = []
    cpu = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()
            self.c = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)
            cpu.append(time.process_time() - self.c)

    model.fit(xs, y, batch_size=a.batch, epochs=a.epochs, shuffle=True, verbose=0, callbacks=[Clock()])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak so far: training's
    speeds = []
    for _ in range(3):
        t = time.perf_counter()
        model.predict(xs, batch_size=256, verbose=0)
        speeds.append(a.utterances / (time.perf_counter() - t))
    print(json.dumps({
        "model": a.model, "epochs": times, "cpu": cpu, "tf": tf.__version__, "keras": keras.__version__,
        "predict": sorted(speeds)[1], "rss": rss,
        "threads": {"intra": tf.config.threading.get_intra_op_parallelism_threads(),
                    "inter": tf.config.threading.get_inter_op_parallelism_threads(), "cpus": os.cpu_count()},
    }))


if __name__ == "__main__":
    main()
