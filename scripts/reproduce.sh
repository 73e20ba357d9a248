#!/usr/bin/env bash
# Regenerates RESULTS.md: runs every experiment that the data on this machine allows (5 seeds each),
# logs them to ./mlruns, builds each experiment's report, then rewrites the measured tables.
# Takes hours on 2 cores; pass experiment YAML files to run only those (the tables are then left).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# The paper's systems and their ablations: the first GENERATED block of RESULTS.md.
paper=(
  experiments/iemocap/text_lstm.yaml
  experiments/iemocap/ablations/lstm_input_utterance.yaml
  experiments/iemocap/ablations/class_weights_balanced.yaml
  experiments/emodb/speech_cnn.yaml
  experiments/emodb/text_lstm_control.yaml
  experiments/emodb/late_fusion_weighted.yaml
)
# Measured baselines (issue 13): context, a CNN text baseline, fine-tuned vectors, early stopping
# on UA, fusion networks, the paralinguistics linear model: the "baselines" block.
# bc_lstm.yaml trains text-lstm beside bc-lstm; the IEMOCAP text rows are paired against that text-lstm.
baselines=(
  experiments/iemocap/bc_lstm.yaml
  experiments/iemocap/ablations/monitor_valid_ua.yaml
  experiments/iemocap/ablations/embeddings_trainable.yaml
  experiments/iemocap/ablations/trainable_monitor_valid_ua.yaml
  experiments/iemocap/text_cnn.yaml
  experiments/iemocap/ablations/text_cnn_trainable.yaml
  experiments/emodb/linear.yaml
  experiments/emodb/tfn.yaml
)
# Real speech on IEMOCAP (16 prosodic features from prosody.csv, not ComParE): the "prosody" block.
prosody=(
  experiments/iemocap-prosody/table2.yaml
  experiments/iemocap-prosody/linear.yaml
  experiments/iemocap-prosody/bc_lstm.yaml
)
name_of() { ./emofuse run "$1" --dry-run 2>/dev/null | sed -n 's/^experiment: //p'; }
# tfjs-node's numbers depend on its thread count, so it is fixed, as RESULTS.md's runs had it:
# one thread per task in two workers; two threads (this 2-core machine's default) for the prosody
# bc_lstm and linear experiments, which ran in one process.
threads_of() { case "$1" in *iemocap-prosody/bc_lstm.yaml|*iemocap-prosody/linear.yaml) echo "--threads 2" ;; *) echo "--jobs 2 --threads 1" ;; esac; }
run_all() { for f in "$@"; do echo "== $f"; # shellcheck disable=SC2046
  ./emofuse run "$f" $(threads_of "$f"); done; }
if [ $# -gt 0 ]; then run_all "$@"; exit 0; fi
run_all "${paper[@]}" "${baselines[@]}" "${prosody[@]}"
./emofuse sweep experiments/sweeps/emodb_speech_select.yaml  # D_S for speech-cnn on EmoDB, chosen on valid
results() { TSX_TSCONFIG_PATH="$root/tsconfig.json" node --import tsx scripts/results.ts "$@"; }
names=(); for f in "${paper[@]}"; do names+=("$(name_of "$f")"); done
results "${names[@]}"
names=(); for f in "${baselines[@]}"; do names+=("$(name_of "$f")"); done
# Utterance-level text systems, the best chosen by mean validation UA (test not looked at).
text=iemocap-bc_lstm:text-lstm,iemocap-ablation-monitor_valid_ua:text-lstm,iemocap-ablation-embeddings_trainable:text-lstm,iemocap-ablation-trainable_monitor_valid_ua:text-lstm,iemocap-text_cnn:text-cnn,iemocap-ablation-text_cnn_trainable:text-cnn
results --section baselines --baseline iemocap-bc_lstm:text-lstm --choose "$text" "${names[@]}"
names=(); for f in "${prosody[@]}"; do names+=("$(name_of "$f")"); done
results --section prosody "${names[@]}"
echo "== diagnostic text baselines (quoted in RESULTS.md, 'Reading the numbers')"
.venv/bin/python scripts/text_baselines.py
