#!/usr/bin/env bash
# Builds and runs every test: a debug build, the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer, and a short run of each libFuzzer target (clang). Installs missing
# Debian packages first.
# Usage: scripts/test.sh            (all three)
#        scripts/test.sh debug      (chosen presets: debug, release, asan-ubsan, fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then
  presets=(debug asan-ubsan fuzz)
fi

jobs=$(nproc)
for preset in "${presets[@]}"; do
  echo "=== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== ${preset}: test"
  ctest --preset "$preset" -j "$jobs"
done
