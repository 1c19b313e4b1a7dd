#!/usr/bin/env bash
# Installs the Debian 12 packages the SDK builds and tests with, and only those that are missing.
# The list is what a pristine root needs (scripts/fresh-check.sh proves it on every CI run):
# packages are installed without their recommendations, so whatever a build step needs is named
# here, never left to a recommendation or to what a developer machine happens to have.
#
#   scripts/install-deps.sh [--fuzz] [--tsan]
#     --fuzz: also the libFuzzer toolchain of scripts/fuzz.sh
#     --tsan: also what scripts/tsan.sh fetches oneTBB's source with (curl, xz)
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libtbb-dev libboost-dev libboost-program-options-dev libboost-filesystem-dev
  libtomlplusplus-dev googletest libgtest-dev
  # oneDNN's CMake package requires OpenCL (find_package(OpenCL REQUIRED) in dnnl-config.cmake);
  # libdnnl-dev only recommends it.
  libdnnl-dev ocl-icd-opencl-dev
  # the kernels' run-time SIMD dispatch (Google Highway)
  libhwy-dev
  # the whole-binary checks on other CPUs (hrm solve as Haswell and as baseline x86-64)
  qemu-user-static
  # data-parallel training and sharded solving (mpirun -np N hrm train/solve/eval, HRM_WITH_MPI,
  # docs/distributed.md) and their tests: Open MPI's headers and libraries, and mpirun
  libopenmpi-dev openmpi-bin
  # the Python binding tests (ctypes, standard library only)
  python3
  # npm fetches the Node binding's dependency over HTTPS; without the CA bundle every TLS check fails
  ca-certificates
)
# The fuzz preset (scripts/fuzz.sh): clang with libFuzzer and its sanitizer runtimes, and clang's
# OpenMP (the kernels' CMake asks for OpenMP with whatever compiler configures the tree).
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang-14 libfuzzer-14-dev libclang-rt-14-dev libomp-14-dev) ;;
    --tsan) packages+=(curl xz-utils) ;;
    *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done
# The Node binding tests: Debian's Node.js 18 and npm, unless node and npm are on PATH already (a
# NodeSource nodejs provides npm itself and conflicts with Debian's npm package).
command -v node > /dev/null && command -v npm > /dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo > /dev/null || {
      echo "install-deps: these packages are missing and installing them needs root: ${missing[*]}" >&2
      exit 1
    }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
