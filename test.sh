#!/usr/bin/env bash
# Runs every test of the repository: installs what the tests need, builds once, runs all test
# projects, and ends with one summary line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

log=$(mktemp)
PADDLEX_EMULATORS_STATE="$(mktemp -d)"
export PADDLEX_EMULATORS_STATE
trap 'tests/emulators/stop.sh >/dev/null 2>&1 || true; rm -rf "$log" "$PADDLEX_EMULATORS_STATE"' EXIT

# Tools the infrastructure tests run (npm packages from the lock file, shellcheck, Bicep CLI).
tests/tools/install.sh

# Azurite and the Cosmos DB test server for the Azure adapter tests (pinned in tests/emulators).
eval "$(tests/emulators/start.sh)"

dotnet build PaddleX.Cloud.sln -nologo -v:q
set +e
dotnet test PaddleX.Cloud.sln --no-build -nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
echo "tests: ${passed} passed, ${failed} failed"
if [[ $status -ne 0 || $passed -eq 0 ]]; then
  exit 1
fi
