"""What Keras runs for one training step of each model (the Keras side of benchmarks/train-profile.ts).

  python benchmarks/train_keras_profile.py [--models speech-cnn,joint-cnn,text-lstm] [--steps 30]

For each model: the op types of the traced train step (the tf.function graph, then after
Grappler's rewrites, which fuse MatMul+BiasAdd+ReLU into _FusedMatMul and so on), and a
TensorFlow profiler trace of `--steps` steps summed by op type (the XPlane's TF-op line, CPU).
Same model code and shapes as benchmarks/train_keras.py (it is imported from there).
"""
import argparse
import collections
import glob
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="speech-cnn,joint-cnn,text-lstm")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--top", type=int, default=14)
    a = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf
    from tensorflow.core.protobuf import config_pb2
    from tensorflow.python.grappler import tf_optimizer
    from train_keras import build

    for name in a.models.split(","):
        model, xs, y = build(name, n=32 * a.steps)
        xs = xs if isinstance(xs, list) else [xs]
        # one batch, traced as Keras' fit does (train_step inside a tf.function)
        batch = (tuple(x[:32] for x in xs) if len(xs) > 1 else xs[0][:32], y[:32])
        model.train_step(batch)  # builds the optimizer's slots
        fn = tf.function(model.train_step)
        cf = fn.get_concrete_function(batch)
        graph_ops = collections.Counter(op.type for op in cf.graph.get_operations())
        # Grappler (as the runtime applies it): the graph Keras actually executes
        mg = tf.compat.v1.train.export_meta_graph(graph_def=cf.graph.as_graph_def(add_shapes=True), graph=cf.graph)
        fetch = mg.collection_def["train_op"]
        for t in cf.outputs:
            fetch.node_list.value.append(t.op.name)
        cfg = config_pb2.ConfigProto()
        opt = tf_optimizer.OptimizeGraph(cfg, mg)
        fused = collections.Counter(n.op for n in opt.node)

        # profiler trace of `steps` real fit steps
        model.fit(xs if len(xs) > 1 else xs[0], y, batch_size=32, epochs=1, verbose=0)  # warm up/trace
        logdir = tempfile.mkdtemp(prefix="keras-prof-")
        tf.profiler.experimental.start(logdir)
        t0 = time.perf_counter()
        c0 = time.process_time()
        model.fit(xs if len(xs) > 1 else xs[0], y, batch_size=32, epochs=1, verbose=0)
        wall = (time.perf_counter() - t0) * 1000 / a.steps
        cpu = (time.process_time() - c0) * 1000 / a.steps
        tf.profiler.experimental.stop()
        per_op = collections.defaultdict(lambda: [0, 0.0])
        try:
            from tsl.profiler.protobuf import xplane_pb2  # noqa: F401
        except ImportError:
            from tensorflow.tsl.profiler.protobuf import xplane_pb2
        for f in glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True):
            xs_ = xplane_pb2.XSpace()
            with open(f, "rb") as fh:
                xs_.ParseFromString(fh.read())
            for plane in xs_.planes:
                if plane.name != "/host:CPU":
                    continue
                meta = plane.event_metadata
                for line in plane.lines:
                    for ev in line.events:
                        md = meta[ev.metadata_id]
                        # TF op events are named "name:Type"; keep the type
                        nm = md.name
                        if ":" not in nm or "::" in nm:
                            continue
                        typ = nm.rsplit(":", 1)[1]
                        # op types only: not the enclosing function call, not tf.data's stages
                        if not re.fullmatch(r"_?[A-Z][A-Za-z0-9]*", typ) or "Dataset" in typ or "Iterator" in typ:
                            continue
                        per_op[typ][0] += 1
                        per_op[typ][1] += ev.duration_ps / 1e9
        total = sum(v[1] for v in per_op.values())
        calls = sum(v[0] for v in per_op.values())
        print(f"\n{name}: {wall:.2f} ms a step wall, {cpu:.2f} ms cpu (profiled); traced graph {sum(graph_ops.values())} nodes, "
              f"offline Grappler {sum(fused.values())}; executed {calls / a.steps:.0f} op kernels a step (the runtime's own rewrites "
              f"included: _FusedConv2D, _FusedMatMul), op time {total / a.steps:.2f} ms a step (summed over threads)")
        print("  graph op types: " + ", ".join(f"{k} {v}" for k, v in graph_ops.most_common(12)))
        print("  after Grappler: " + ", ".join(f"{k} {v}" for k, v in fused.most_common(12)))
        print(f"  {'op':26s} {'calls/step':>10s} {'ms/step':>8s} {'share':>6s}")
        for typ, (calls, ms) in sorted(per_op.items(), key=lambda kv: -kv[1][1])[: a.top]:
            print(f"  {typ:26s} {calls / a.steps:10.1f} {ms / a.steps:8.3f} {100 * ms / max(total, 1e-9):5.1f}%")


if __name__ == "__main__":
    main()
