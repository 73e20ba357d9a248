#!/usr/bin/env bash
# Sets up emofuse from nothing: npm packages, the Python venv (.venv), tfjs-node built offline,
# and (with --browser) Debian's chromium for the report tests. Each step says what failed and
# what still works; only a failed npm install stops the script.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
browser=0
for a in "$@"; do
  case "$a" in
    --browser) browser=1 ;;
    -h|--help) echo "usage: scripts/setup.sh [--browser]   (--browser also installs Debian's chromium for report tests)"; exit 0 ;;
    *) echo "setup: unknown option $a (try --help)"; exit 2 ;;
  esac
done
say() { printf '\n== %s\n' "$*"; }
warn() { printf 'setup: WARNING: %s\n' "$*" >&2; }
status=()

say "npm packages (npm ci, lockfile)"
if [ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "node_modules is up to date"
elif ! npm ci --no-audit --no-fund; then
  echo "setup: npm ci failed: nothing can run without the npm packages; check the registry and rerun" >&2
  exit 1
fi

say "Python venv (.venv): mlflow, opensmile, scikit-learn"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ] && ! "$py" -m venv .venv; then
  warn "could not create .venv with $py: tracking tests, the MLflow server, openSMILE and the sklearn checks are unavailable"
  status+=("python venv: MISSING")
elif .venv/bin/python -c 'import mlflow, opensmile, sklearn' 2>/dev/null; then
  echo ".venv already has mlflow, opensmile and scikit-learn"; status+=("python venv: ok")
# pip's per-package notes about this machine's local index folders are noise; errors still show.
elif .venv/bin/pip install --disable-pip-version-check -q -r requirements.txt 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2); then
  status+=("python venv: ok")
else
  warn "pip install -r requirements.txt failed: MLflow server tests and openSMILE extraction are unavailable; local tracking still works"
  status+=("python venv: INCOMPLETE")
fi

say "tfjs-node (TensorFlow C library from the tensorflow-cpu wheel)"
if bash scripts/build-tfjs-node.sh; then
  status+=("tfjs-node: ok (backend 'tensorflow')")
else
  warn "tfjs-node unavailable: training will use the wasm or cpu backend, about 600x slower for the CNNs"
  status+=("tfjs-node: UNAVAILABLE (fallback wasm/cpu)")
fi

if [ "$browser" = 1 ]; then
  say "chromium (Debian) for the report's browser test"
  if command -v chromium >/dev/null 2>&1; then
    echo "chromium present: $(command -v chromium)"; status+=("chromium: ok")
  elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && \
       { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
    status+=("chromium: ok")
  else
    warn "chromium could not be installed: the report's browser test will fail; reports still render"
    status+=("chromium: MISSING")
  fi
fi

say "summary"
printf '  %s\n' "${status[@]}"
exit 0
