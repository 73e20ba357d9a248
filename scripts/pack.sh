#!/usr/bin/env bash
# Builds every package (through Nx, so up-to-date builds come from its cache) and packs each into
# one .tgz, in dist/pack/ (or --out DIR). --no-build packs what is in each dist/ as it is (the
# library smoke test uses it after Nx has built). Prints the tarball paths, one a line, last.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/dist/pack"
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "pack: --out needs a folder" >&2; exit 2; }; out="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) echo "usage: scripts/pack.sh [--out DIR] [--no-build]   (default DIR: dist/pack)"; exit 0 ;;
    *) echo "pack: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

# Every project with a package.json is published; the order does not matter to npm pack.
dirs=()
for d in packages/*/ apps/*/; do [ -f "$d/package.json" ] && dirs+=("${d%/}"); done
[ ${#dirs[@]} -gt 0 ] || { echo "pack: no packages/*/package.json found" >&2; exit 1; }

version="$(node -p "require('./package.json').version")"
for d in "${dirs[@]}"; do
  v="$(node -p "require('./$d/package.json').version")"
  if [ "$v" != "$version" ]; then
    echo "pack: $d/package.json has version $v, the root package.json $version; the packages are released in lockstep: set both to the same" >&2
    exit 2
  fi
done

if [ "$build" = 1 ]; then
  NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false npx nx run-many -t build --outputStyle=static >&2
fi
for d in "${dirs[@]}"; do
  [ -f "$d/dist/index.js" ] || { echo "pack: $d/dist/index.js is missing: build first (drop --no-build)" >&2; exit 1; }
done

mkdir -p "$out"
rm -f "$out"/emofuse-*.tgz
for d in "${dirs[@]}"; do
  # --json names the file npm wrote; scoped @emofuse/x packs as emofuse-x-<version>.tgz.
  file="$(cd "$d" && npm pack --silent --pack-destination "$out" --json | node -e 'let s="";process.stdin.on("data",(c)=>s+=c).on("end",()=>console.log(JSON.parse(s)[0].filename))')"
  echo "$out/$file"
done
