#!/usr/bin/env bash
# The threaded tests under ThreadSanitizer (docs/reliability.md, "Threads"):
#
#   scripts/tsan.sh [ctest arguments...]
#
# TSan sees only what is instrumented. Debian's libtbb12 is not, and its scheduler recycles task
# objects where TSan sees no synchronisation, so every parallel_for is reported as a race
# (google/sanitizers#1004). This script therefore builds the same oneTBB that Debian ships
# (2021.8.0, the source tarball from the Debian archive, checked against its SHA-256) with
# -fsanitize=thread, once, into build-tsan/tbb, and builds the `tsan` preset against it. Then
# `ctest --preset tsan`: the scheduler, session, trainer, runner and concurrent-call tests. Exit
# status: ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/install-deps.sh --tsan
jobs=$(nproc)

tbb_version=2021.8.0
tbb_sha256=7e9111b8bb59c8800bf6d0b06afe7b0891937443d2dae1ee1101c8e2ede6a7ef
tbb_url=${HRM_TBB_URL:-http://deb.debian.org/debian/pool/main/o/onetbb/onetbb_${tbb_version}.orig.tar.xz}
tbb_prefix=$root/build-tsan/tbb
if [ ! -f "$tbb_prefix/.done-$tbb_version" ]; then
  src=$root/build-tsan/tbb-src
  rm -rf "$src" "$tbb_prefix" && mkdir -p "$src"
  echo "tsan.sh: oneTBB $tbb_version with -fsanitize=thread (once)"
  curl -fsSL -o "$src/tbb.tar.xz" "$tbb_url"
  echo "$tbb_sha256  $src/tbb.tar.xz" | sha256sum -c --quiet
  tar -xf "$src/tbb.tar.xz" -C "$src" --strip-components=1
  cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$tbb_prefix" \
    -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBB_STRICT=OFF -DTBBMALLOC_BUILD=OFF \
    -DCMAKE_C_COMPILER_LAUNCHER= -DCMAKE_CXX_COMPILER_LAUNCHER= > "$src/configure.log"
  cmake --build "$src/build" -j "$jobs" > "$src/build.log"
  cmake --install "$src/build" > /dev/null
  rm -rf "$src"
  touch "$tbb_prefix/.done-$tbb_version"
fi

cmake --preset tsan -DTBB_DIR="$tbb_prefix/lib/cmake/TBB"
# Only the threaded tests' executables (and what they load): the preset's test filter.
cmake --build --preset tsan -j "$jobs" --target test_kernels hrm_sched_tests hrm_session_tests hrm_train_tests \
  hrm_train_runner_test
ctest --preset tsan -j "$jobs" "$@"
