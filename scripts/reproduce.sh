#!/usr/bin/env bash
# Regenerates RESULTS.md: runs every experiment that the data on this machine allows (5 seeds each),
# logs them to ./mlruns, builds each experiment's report, then rewrites the measured tables.
# Takes hours on 2 cores; pass experiment YAML files to run only those.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(
  experiments/iemocap/text_lstm.yaml
  experiments/iemocap/ablations/lstm_input_utterance.yaml
  experiments/iemocap/ablations/class_weights_balanced.yaml
  experiments/emodb/speech_cnn.yaml
  experiments/emodb/text_lstm_control.yaml
  experiments/emodb/late_fusion_weighted.yaml
  # measured baselines (issue 13): context, fusion networks, the paralinguistics linear model
  experiments/iemocap/bc_lstm.yaml
  experiments/iemocap/ablations/monitor_valid_ua.yaml
  experiments/emodb/linear.yaml
  experiments/emodb/tfn.yaml
)
names=()
for f in "${files[@]}"; do
  echo "== $f"
  ./emofuse run "$f"
  names+=("$(./emofuse run "$f" --dry-run 2>/dev/null | sed -n 's/^experiment: //p')")
done
[ $# -gt 0 ] || ./emofuse sweep experiments/sweeps/emodb_speech_select.yaml  # D_S for speech-cnn on EmoDB, chosen on valid
TSX_TSCONFIG_PATH="$root/tsconfig.json" node --import tsx scripts/results.ts "${names[@]}"
echo "== diagnostic text baselines (quoted in RESULTS.md, 'Reading the numbers')"
.venv/bin/python scripts/text_baselines.py
