#!/usr/bin/env bash
# The whole check: lint (with module-boundary rules), tests and type-check build of every Nx project,
# then one plain totals line "N passed, N failed" summed from each project's vitest JSON report.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
rm -rf reports/vitest
npx nx run-many -t lint,test,build --outputStyle=stream "$@"
rc=$?
node scripts/test-totals.mjs
t=$?
[ $rc -ne 0 ] && exit $rc
exit $t
