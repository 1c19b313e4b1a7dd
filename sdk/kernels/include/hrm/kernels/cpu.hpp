// Which code the kernels run on this CPU. The element-wise, attention and conversion kernels are
// compiled once per SIMD target with Google Highway and dispatched at run time to the best target
// the CPU supports (x86: AVX3 = AVX-512 F/BW/DQ/VL, AVX2 (+FMA), SSE4, SSSE3, and the portable
// SCALAR/EMU128 fallback; ARM64: NEON). bf16 attention uses the CPU's AVX512-BF16 dot products
// where it has them and an exact fp32 emulation elsewhere; bf16 matmuls run in oneDNN's bf16
// kernels on AVX-512 CPUs and as fp32 matmuls on the same (exactly converted) operands elsewhere.
//
// The environment variable HRM_CPU_TARGET restricts the dispatch to one target (avx3, avx2, sse4,
// ssse3, scalar or emu128 (either name selects the portable fallback this build compiled), neon;
// "best" or unset: no restriction), e.g. to test or benchmark a lower target. It is read once per
// process, by the first kernel call or the first call below.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace hrm::kernels {

// HRM_CPU_TARGET names a target this CPU cannot run, or the CPU lacks what the kernels need.
// (An HRM_CPU_TARGET that names no target at all throws std::invalid_argument instead.)
class UnsupportedCpu : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CpuTarget {
  std::string name;       // the dispatch target, Highway's name: "AVX3", "AVX2", "SSE4", "SCALAR"…
  bool bf16_dot = false;  // bf16 attention uses AVX512-BF16 dot products
  bool bf16_matmul = false;  // bf16 matmuls run in oneDNN's bf16 kernels (else as fp32 matmuls)
  std::string forced;     // HRM_CPU_TARGET as given, "" when unset
};

// The selected target; throws std::invalid_argument or UnsupportedCpu for a bad HRM_CPU_TARGET.
const CpuTarget& cpu_target();

// One line for version banners, never throws: "AVX2 (CPU: AVX2 SSE4 SSSE3 SCALAR; bf16 compute
// emulated in fp32)", or the error when HRM_CPU_TARGET is bad.
std::string cpu_target_summary();

// Lower-case names of the targets compiled into this build that this CPU runs, best first
// ("avx2", "sse4", "ssse3", "scalar"): the values HRM_CPU_TARGET accepts here.
std::vector<std::string> cpu_targets_available();

}  // namespace hrm::kernels
