#!/usr/bin/env bash
# Cross-builds the SDK for 64-bit Arm Linux (aarch64: Graviton, Ampere, Jetson, Raspberry Pi 4/5)
# with Debian 12's toolchain and runs the kernel, model and bundled-model tests under
# qemu-aarch64-static, ending with ctest's summary. Installs what it needs: the cross toolchain,
# qemu, and the :arm64 multiarch dev packages.
#
#   scripts/test-arm64.sh [ctest arguments...]     e.g. -R Bundled, or -L kernels
#
# HRM_ARM64_BUILD: the build folder (default build-arm64). Which tests run and why the rest do not:
# docs/portability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${HRM_ARM64_BUILD:-build-arm64}
sysroot=$build/sysroot

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
installed() { dpkg-query -W -f='${Status}' "$1" 2> /dev/null | grep -q "install ok installed"; }

# --- Packages ---------------------------------------------------------------------------------
# googletest (the sources) is architecture-independent; libgtest-dev:arm64 has the libraries.
host_packages=(build-essential cmake pkg-config crossbuild-essential-arm64 qemu-user-static googletest)
arm64_packages=(
  libtbb-dev libboost-dev libboost-program-options-dev libboost-filesystem-dev
  libtomlplusplus-dev libgtest-dev libhwy-dev ocl-icd-opencl-dev libgomp1
  # oneDNN's runtime; its dev package goes into $sysroot (below)
  libdnnl2
)
missing=()
for p in "${host_packages[@]}"; do installed "$p" || missing+=("$p"); done
for p in "${arm64_packages[@]}"; do
  installed "$p:arm64" || missing+=("$p:arm64")
done
if ((${#missing[@]})); then
  dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libdnnl-dev cannot be installed for two architectures at once (dnnl_config.h differs: the amd64
# build has the OpenCL GPU runtime, the arm64 one none), so its arm64 files are unpacked into a
# folder of their own, with the runtime library the CMake package points at.
if [ ! -f "$sysroot/usr/lib/aarch64-linux-gnu/cmake/dnnl/dnnl-config.cmake" ]; then
  mkdir -p "$build/debs"
  (cd "$build/debs" && apt-get download libdnnl-dev:arm64 libdnnl2:arm64 2> /dev/null)
  for deb in "$build"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
fi

# --- Build ------------------------------------------------------------------------------------
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
  -Ddnnl_DIR="$PWD/$sysroot/usr/lib/aarch64-linux-gnu/cmake/dnnl" > /dev/null
targets=(test_kernels hrm_models_tests hrm_models_train_tests hrm_models_trm_tests test_bundled hrm_tools)
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

# --- Tests ------------------------------------------------------------------------------------
echo "== aarch64 tests under $(qemu-aarch64-static --version | head -1) =="
ctest --test-dir "$build" -j "$(nproc)" --output-on-failure -L 'kernels|models|bundled' -LE 'slow' "$@"
