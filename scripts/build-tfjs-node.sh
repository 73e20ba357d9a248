#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node's native binding offline, against the TensorFlow C library
# inside PyPI's tensorflow-cpu wheel (its own installer downloads from a host we cannot reach).
# Idempotent: a working binding is left alone. Exit 0 = tfjs-node loads; non-zero = it does not.
# The installed CLI ships the same steps for a user's project: `emofuse setup backend`
# (packages/cli/src/backend-setup.ts); change both together.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pkg="$root/node_modules/@tensorflow/tfjs-node"
cache="$root/.cache/tensorflow"
py="${EMOFUSE_PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || py=python3
log() { printf '[tfjs-node] %s\n' "$*"; }

[ -d "$pkg" ] || { log "node_modules/@tensorflow/tfjs-node is missing: run npm ci first"; exit 1; }
probe() { (cd "$root" && node -e "require('@tensorflow/tfjs-node'); const tf=require('@tensorflow/tfjs'); if (tf.getBackend()!=='tensorflow') process.exit(3)") >/dev/null 2>&1; }
if [ -f "$pkg/lib/napi-v8/tfjs_binding.node" ] && probe; then log "already built; backend 'tensorflow' loads"; exit 0; fi

mkdir -p "$cache"
whl=$(ls "$cache"/tensorflow_cpu-*.whl 2>/dev/null | head -1 || true)
if [ -z "$whl" ]; then
  log "downloading the tensorflow-cpu wheel (about 274 MB) with pip"
  "$py" -m pip download --no-deps --disable-pip-version-check -q -d "$cache" tensorflow-cpu
  whl=$(ls "$cache"/tensorflow_cpu-*.whl | head -1)
fi
log "using $(basename "$whl")"
if [ ! -f "$cache/tensorflow/libtensorflow_cc.so.2" ]; then
  log "unpacking the C library and headers"
  "$py" - "$whl" "$cache" <<'PY'
import sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n.startswith('tensorflow/include/')
             or n in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2')]
    z.extractall(dest, names)
PY
fi
tf="$cache/tensorflow"
mkdir -p "$pkg/deps/lib"
ln -sfn "$tf/libtensorflow_cc.so.2" "$pkg/deps/lib/libtensorflow_cc.so.2"
ln -sfn "$tf/libtensorflow_cc.so.2" "$pkg/deps/lib/libtensorflow.so.2"
ln -sfn "$tf/libtensorflow_cc.so.2" "$pkg/deps/lib/libtensorflow.so"
ln -sfn "$tf/libtensorflow_framework.so.2" "$pkg/deps/lib/libtensorflow_framework.so.2"
ln -sfn "$tf/libtensorflow_framework.so.2" "$pkg/deps/lib/libtensorflow_framework.so"
rm -rf "$pkg/deps/include"; ln -sfn "$tf/include" "$pkg/deps/include"

# Node's own headers ship with the Debian/NodeSource package; node-gyp would otherwise download them.
nodedir="${EMOFUSE_NODEDIR:-$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")}"
[ -f "$nodedir/include/node/node_api.h" ] || { log "no Node headers under $nodedir/include/node (set EMOFUSE_NODEDIR)"; exit 1; }
log "compiling the binding with node-gyp (about 20 s)"
(cd "$pkg" && "$root/node_modules/.bin/node-gyp" rebuild --nodedir="$nodedir" \
   --module_name=tfjs_binding --module_path=lib/napi-v8 --napi_build_version=8 >"$cache/node-gyp.log" 2>&1) \
  || { log "node-gyp failed; see $cache/node-gyp.log"; exit 1; }
mkdir -p "$pkg/lib/napi-v8"
cp "$pkg/build/Release/tfjs_binding.node" "$pkg/lib/napi-v8/tfjs_binding.node"
if probe; then log "built; backend 'tensorflow' loads"; else log "built, but loading it failed"; exit 1; fi
