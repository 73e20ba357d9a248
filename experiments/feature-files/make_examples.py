"""Writes the feature files of docs/features.md's three examples, the way a researcher writes them.

1. emodb_egemaps.csv: opensmile-python's eGeMAPSv02 functionals (88 per file) of every EmoDB WAV,
   saved with DataFrame.to_csv, so its first columns are opensmile's index: file, start, end.
2. iemocap_prosody.npy + iemocap_prosody_ids.txt: one float32 row per IEMOCAP utterance and its
   id on the same line of the ids file. The rows are the 16 prosody values of prosody.csv, only to
   show the format: wav2vec/HuBERT or sentence-encoder embeddings are saved the same way.
3. iemocap_prosody.parquet: the same table written by pandas (DataFrame.to_parquet), an id column
   and 16 float columns with the real missing cells of prosody.csv (54 rows, 4 of them test).

Usage (from the repository root):
  .venv/bin/python experiments/feature-files/make_examples.py [OUT_DIR] [--data DIR] [--only NAME ...]
OUT_DIR defaults to .cache/feature-files/ in the repository (git-ignored), which is where the
YAML files beside this script look. --data is the shared data folder (default ../shared/data
beside the clone); --only picks some of egemaps, npy, parquet. Nothing under --data is changed.
"""
import argparse
import pathlib
import sys
import time

import numpy as np
import pandas as pd

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ('egemaps', 'npy', 'parquet')


def egemaps(data: pathlib.Path, out: pathlib.Path, workers: int) -> list[pathlib.Path]:
    import opensmile

    files = sorted(str(p) for p in (data / 'emodb' / 'wav').glob('*.wav'))
    if not files:
        sys.exit(f'error: no WAV files in {data / "emodb" / "wav"}\n  fix: pass --data, the folder that holds emodb/wav')
    smile = opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02,
        feature_level=opensmile.FeatureLevel.Functionals,
        num_workers=workers,
    )
    # The index is (file, start, end); file is the WAV's path, which emofuse maps to the
    # utterance id by its base name without extension (03a01Fa.wav -> 03a01Fa).
    df = smile.process_files(files)
    path = out / 'emodb_egemaps.csv'
    df.to_csv(path)
    return [path]


def prosody(data: pathlib.Path) -> pd.DataFrame:
    csv = data / 'iemocap' / 'prosody.csv'
    if not csv.exists():
        sys.exit(f'error: {csv} does not exist\n  fix: pass --data, the folder that holds iemocap/prosody.csv')
    return pd.read_csv(csv)


def npy(data: pathlib.Path, out: pathlib.Path) -> list[pathlib.Path]:
    df = prosody(data)
    # An embedding model's output would go here: x = model(batch) -> one row per utterance.
    x = df.drop(columns='id').to_numpy(dtype=np.float32)   # NaN where a value is missing
    vectors, ids = out / 'iemocap_prosody.npy', out / 'iemocap_prosody_ids.txt'
    np.save(vectors, x)
    ids.write_text('\n'.join(df['id']) + '\n', encoding='utf-8')
    return [vectors, ids]


def parquet(data: pathlib.Path, out: pathlib.Path) -> list[pathlib.Path]:
    df = prosody(data)
    path = out / 'iemocap_prosody.parquet'
    df.to_parquet(path, index=False)
    return [path]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('out', nargs='?', type=pathlib.Path, default=REPO / '.cache' / 'feature-files')
    ap.add_argument('--data', type=pathlib.Path, default=REPO.parent / 'shared' / 'data')
    ap.add_argument('--only', nargs='+', choices=EXAMPLES, default=list(EXAMPLES))
    ap.add_argument('--workers', type=int, default=2, help="opensmile-python's num_workers (default 2)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only:
        started = time.time()
        written = {'egemaps': lambda: egemaps(args.data, args.out, args.workers),
                   'npy': lambda: npy(args.data, args.out),
                   'parquet': lambda: parquet(args.data, args.out)}[name]()
        for p in written:
            print(f'{name}: wrote {p} ({p.stat().st_size:,} bytes) in {time.time() - started:.1f} s')


if __name__ == '__main__':
    main()
