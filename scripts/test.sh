#!/usr/bin/env bash
# The whole test suite from a fresh checkout: dependencies, a Release build and its tests, then an
# ASan+UBSan build running the unit tests (everything but the install, slow, python, node, bundled
# and qemu labels).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
# The Node binding's one dependency (koffi, prebuilt: no compiler) from the npm registry, as its
# package-lock.json pins it.
(cd bindings/node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

cmake --preset release
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"

if [ "${HRM_SKIP_ASAN:-0}" != 1 ]; then
  cmake --preset asan
  cmake --build --preset asan -j "$jobs"
  # LeakSanitizer sometimes cannot stop the world at exit ("fatal error ... ptrace") on a loaded
  # machine; a test that fails that way gets one more run. A real failure fails twice.
  ctest --preset asan -j "$jobs" --repeat until-pass:2
fi
