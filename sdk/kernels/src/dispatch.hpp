// Internal: the bridge from the public kernel entry points to Highway's per-target code, and the
// hooks of the target selection (cpu.cpp; not installed). Every entry point calls
// HRM_DISPATCH(name)(args...) from the HWY_ONCE part of its source; the first call in the process
// applies HRM_CPU_TARGET before Highway picks a target.
#pragma once

#include <cstdint>
#include <vector>

#include <hwy/highway.h>

namespace hrm::kernels::detail {

// Restricts Highway's dispatch to HRM_CPU_TARGET the first time it runs (thread-safe, once per
// process); throws the selection's error (cpu.hpp) on every call when the variable is unusable.
void apply_cpu_target();

// The CPU has AVX512-BF16 (vdpbf16ps); cached.
bool cpu_has_avx512_bf16();

// matmul.cpp: restricts oneDNN to the instruction set of a forced Highway target (0 = none) and
// tells whether bf16 matmuls run in oneDNN's bf16 kernels (true) or as fp32 matmuls. Called once,
// by the target selection, before any oneDNN primitive exists.
bool configure_matmul(std::int64_t forced_target);

// matmul.cpp, for the int8 kernels (int8.cpp): oneDNN's effective instruction set has VNNI
// (AVX512-VNNI or AVX-VNNI); an s8 weight [n, kp] (row-major) in the blocked layout of oneDNN's
// u8s8s32 matmul; that matmul, c [m, n] = a [m, kp] · b^T, exact int32 sums.
bool onednn_has_vnni();
std::vector<std::int8_t> onednn_pack_s8(const std::int8_t* w, std::int64_t n, std::int64_t kp);
void onednn_matmul_u8s8s32(const std::uint8_t* a, const std::int8_t* packed_b, std::int32_t* c, std::int64_t m,
                           std::int64_t n, std::int64_t kp);

}  // namespace hrm::kernels::detail

#define HRM_DISPATCH(fn) (::hrm::kernels::detail::apply_cpu_target(), HWY_DYNAMIC_DISPATCH(fn))
