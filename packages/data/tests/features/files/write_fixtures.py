"""Writes feature files with the real tools (numpy, pandas, pyarrow, opensmile) for the reader's tests.

Usage: python write_fixtures.py OUT_DIR [EMODB_WAV_DIR]
Each fixture <name>.<ext> gets <name>.expect.f4 (the float32 values pandas/numpy read, row-major)
and <name>.expect.json (ids, columns, missing counts) to compare against.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)


def expect(name, ids, columns, values):
    values = np.asarray(values, dtype="<f4")
    values.tofile(os.path.join(out, name + ".expect.f4"))
    missing = np.isnan(values)
    with open(os.path.join(out, name + ".expect.json"), "w") as f:
        json.dump({"ids": [str(i) for i in ids], "columns": [str(c) for c in columns],
                   "missingPerColumn": missing.sum(axis=0).tolist(),
                   "rowsWithMissing": int(missing.any(axis=1).sum())}, f)


def frame(n=50, d=6, missing=True):
    x = rng.normal(size=(n, d)) * 10.0 ** rng.integers(-3, 4, size=d)
    if missing:
        x[3, 1] = np.nan
        x[7, :] = np.nan
        x[9, d - 1] = np.nan
    df = pd.DataFrame(x, columns=[f"f{j}" for j in range(d)])
    df.insert(0, "id", [f"utt_{i:03d}" for i in range(n)])
    return df


# Parquet: pandas' default (snappy), then zstd and gzip; float32 columns with a named index.
df = frame()
df.to_parquet(os.path.join(out, "snappy.parquet"))
expect("snappy", df["id"], df.columns[1:], df.iloc[:, 1:].to_numpy())
df.to_parquet(os.path.join(out, "zstd.parquet"), compression="zstd")
df.to_parquet(os.path.join(out, "gzip.parquet"), compression="gzip")
df32 = df.set_index("id").astype("float32")
df32.to_parquet(os.path.join(out, "float32-index.parquet"))
expect("float32-index", df32.index, df32.columns, df32.to_numpy())
# The page layouts the reader decodes itself or hands to hyparquet: plain (no dictionary),
# data page v2, byte-stream-split floats; nulls from NaN in each.
t = pa.Table.from_pandas(df, preserve_index=False)
pq.write_table(t, os.path.join(out, "plain.parquet"), use_dictionary=False)
pq.write_table(t, os.path.join(out, "v2.parquet"), data_page_version="2.0")
pq.write_table(t, os.path.join(out, "v2-plain.parquet"), data_page_version="2.0", use_dictionary=False, compression="zstd")
pq.write_table(t, os.path.join(out, "bss.parquet"), use_dictionary=False, use_byte_stream_split=[f"f{j}" for j in range(6)])
# Several row groups (and pages), so rows land at the right offsets.
big = frame(n=5000, d=3)
pq.write_table(pa.Table.from_pandas(big, preserve_index=False), os.path.join(out, "groups.parquet"), row_group_size=700, data_page_size=2000)
expect("groups", big["id"], big.columns[1:], big.iloc[:, 1:].to_numpy())
bad = frame(n=5, d=2, missing=False)
bad["label"] = ["ang", "sad", "hap", "neu", "ang"]
bad.to_parquet(os.path.join(out, "text-column.parquet"))
inf = frame(n=5, d=2, missing=False)
inf.loc[2, "f1"] = np.inf
inf.to_parquet(os.path.join(out, "inf.parquet"))
dup = frame(n=5, d=2, missing=False)
dup.loc[3, "id"] = "utt_001"
dup.to_parquet(os.path.join(out, "dup.parquet"))
ints = pd.DataFrame({"id": ["a", "b", "c"], "n": np.array([1, 2, 3], dtype="int64"), "m": pd.array([4, None, 6], dtype="Int32")})
ints.to_parquet(os.path.join(out, "ints.parquet"))

# Arrow IPC: a file with pyarrow (uncompressed, the JS reader has no codecs), a stream, and feather v2.
tbl = pa.Table.from_pandas(df, preserve_index=False)
with pa.ipc.new_file(os.path.join(out, "table.arrow"), tbl.schema) as w:
    w.write_table(tbl, max_chunksize=17)
with pa.ipc.new_stream(os.path.join(out, "stream.arrow"), tbl.schema) as w:
    w.write_table(tbl)
feather.write_feather(tbl, os.path.join(out, "table.feather"), compression="uncompressed")
feather.write_feather(tbl, os.path.join(out, "lz4.feather"), compression="lz4")
expect("table", df["id"], df.columns[1:], df.iloc[:, 1:].to_numpy())
with pa.ipc.new_file(os.path.join(out, "text-column.arrow"), pa.Table.from_pandas(bad, preserve_index=False).schema) as w:
    w.write_table(pa.Table.from_pandas(bad, preserve_index=False))
with pa.ipc.new_file(os.path.join(out, "inf.arrow"), pa.Table.from_pandas(inf, preserve_index=False).schema) as w:
    w.write_table(pa.Table.from_pandas(inf, preserve_index=False))

# numpy: .npy in several dtypes and Fortran order, ids beside them; .npz plain and compressed.
x = df.iloc[:, 1:].to_numpy()
ids = df["id"].to_numpy().astype(str)
np.save(os.path.join(out, "f4.npy"), x.astype("<f4"))
np.save(os.path.join(out, "f8.npy"), x)
np.save(os.path.join(out, "f2.npy"), x.astype("<f2"))
np.save(os.path.join(out, "fortran.npy"), np.asfortranarray(x.astype("<f8")))
expect("f4", ids, [str(j) for j in range(x.shape[1])], x)
expect("f2", ids, [str(j) for j in range(x.shape[1])], x.astype("<f2"))
xi = rng.integers(-1000, 1000, size=(50, 4))
np.save(os.path.join(out, "i4.npy"), xi.astype("<i4"))
np.save(os.path.join(out, "i8.npy"), xi.astype("<i8"))
expect("ints", ids, [str(j) for j in range(4)], xi)
with open(os.path.join(out, "ids.txt"), "w") as f:
    f.write("\n".join(ids) + "\n")
pd.DataFrame({"name": ids, "id": ids}).to_csv(os.path.join(out, "ids.csv"), index=False)
np.savez(os.path.join(out, "plain.npz"), features=x.astype("<f4"), ids=ids)
np.savez_compressed(os.path.join(out, "compressed.npz"), ids=ids, feats=x, other=np.zeros(3))
np.savez(os.path.join(out, "two-arrays.npz"), a=x, b=x, ids=ids)
np.savez(os.path.join(out, "object-ids.npz"), features=x, ids=np.array(list(ids), dtype=object))
xinf = x.copy()
xinf[4, 2] = np.inf
np.save(os.path.join(out, "inf.npy"), xinf)
np.save(os.path.join(out, "three-d.npy"), np.zeros((2, 3, 4), dtype="<f4"))

# opensmile-python functionals of real EmoDB recordings (index columns file,start,end).
if len(sys.argv) > 2:
    import opensmile
    wavs = sorted(os.listdir(sys.argv[2]))[:3]
    files = [os.path.join(sys.argv[2], w) for w in wavs]
    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
    feats = smile.process_files(files)
    feats.to_csv(os.path.join(out, "egemaps.csv"))
    expect("egemaps", [os.path.splitext(w)[0] for w in wavs], feats.columns, feats.to_numpy())
    lld = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
    lld.process_files(files[:1]).iloc[:5].to_csv(os.path.join(out, "lld.csv"))
