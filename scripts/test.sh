#!/usr/bin/env bash
# The whole test suite: installs the local servers and Chromium if missing (reusing what an
# earlier run on this machine built), then runs vitest, whose global setup starts FerretDB,
# local-kms and moto on 127.0.0.1 and stops them at the end. Extra arguments go to vitest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/install-tools.sh

results="$root/.test-data/results.json"
mkdir -p "$(dirname "$results")"
rm -f "$results"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?

# One plain closing line that any CI can read.
if [ -f "$results" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$results"
fi
exit "$status"
