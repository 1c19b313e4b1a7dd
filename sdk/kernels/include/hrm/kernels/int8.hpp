// int8 inference linears: Y[M,N] = X[M,K] · W[N,K]^T with W quantised per output channel and X
// per row, integer dot products with int32 accumulation (docs/kernels.md, "int8").
//
// Scheme:
//   weights     symmetric per output channel n, 7 bits + sign: s_w[n] = max_k |W[n,k]| / 64,
//               q_w[n,k] = round_half_even(W[n,k] / s_w[n]) in [-64, 64] (s_w = 0: a zero row);
//   activations asymmetric per row m, 8 bits: lo = min(0, min_k X), hi = max(0, max_k X),
//               s_x[m] = (hi - lo) / 255, z[m] = round(-lo / s_x) in [0, 255],
//               q_x[m,k] = clamp(round(X[m,k] · 255 / (hi - lo)) + z[m], 0, 255) (u8);
//   product     acc[m,n] = Σ_k q_x[m,k] · q_w[n,k] (exact in int32),
//               Y[m,n] = float(acc[m,n] − z[m] · Σ_k q_w[n,k]) · (s_x[m] · s_w[n]).
// The weights stop at ±64 so that AVX2's vpmaddubsw (u8 × s8 pairs summed into int16 with
// saturation) cannot saturate: 2 · 255 · 64 = 32640 < 32767. (7-bit activations with 8-bit
// weights would fit too; on the bundled Sudoku model they disagreed with fp32 on 3x as many cells.)
// Every kernel computes the same integers and the same two fp32 roundings of the epilogue, so all
// kernels (and all dispatch targets) give bit-identical results on a machine.
//
// Kernels: "avx2" (vpmaddubsw + vpmaddwd, x86 CPUs with AVX2 when the dispatch target is AVX2 or
// AVX3), "onednn" (oneDNN's u8s8s32 matmul, chosen where the CPU has VNNI: oneDNN uses vpdpbusd /
// AMX there), "portable" (plain C++, every CPU: SSE4/SSSE3/SCALAR targets, ARM64). The
// environment variable HRM_INT8_KERNEL=avx2|onednn|portable forces one; a kernel this CPU cannot
// run throws UnsupportedCpu (cpu.hpp) instead of executing an illegal instruction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hrm::kernels {

constexpr int kActMax = 255;    // activation levels 0..kActMax (u8)
constexpr int kWeightMax = 64;  // weights in [-kWeightMax, kWeightMax] (int8 storage)

enum class Int8Kernel { Avx2, OneDnn, Portable };

const char* int8_kernel_name(Int8Kernel k);  // "avx2", "onednn", "portable"
// The kernel new weights use: HRM_INT8_KERNEL, else the best for this CPU and dispatch target.
// Throws UnsupportedCpu (HRM_INT8_KERNEL names one this CPU cannot run) or std::invalid_argument.
Int8Kernel default_int8_kernel();
// Kernels this CPU and dispatch target can run, default first.
std::vector<Int8Kernel> int8_kernels_available();

// Per-output-channel symmetric int8 quantisation of an fp32 [n, k] matrix (the scheme above):
// q [n, k], scale [n]. Deterministic, plain C++ (the same values on every CPU).
void quantize_weight(const float* w, std::int64_t n, std::int64_t k, std::int8_t* q, float* scale);

// Per-row 8-bit asymmetric quantisation of x [m, k] (the scheme above) into q [m, kp] (kp >= k;
// columns k..kp-1 are set to 0), scale [m], zero [m]. SIMD, bit-identical on every target.
void quantize_rows(const float* x, std::int64_t m, std::int64_t k, std::int64_t kp, std::uint8_t* q,
                   float* scale, std::int32_t* zero);

// A quantised weight [n, k] in the layout of its kernel. Immutable after construction; move-only.
class QuantizedWeight {
 public:
  QuantizedWeight();
  // Quantise an fp32 master [n, k] (quantize_weight).
  QuantizedWeight(const float* w, std::int64_t n, std::int64_t k);
  QuantizedWeight(const float* w, std::int64_t n, std::int64_t k, Int8Kernel kernel);
  // Stored values (a quantised checkpoint): q [n, k] in [-64, 64], scale [n] finite and >= 0.
  QuantizedWeight(const std::int8_t* q, const float* scale, std::int64_t n, std::int64_t k,
                  Int8Kernel kernel);
  QuantizedWeight(QuantizedWeight&&) noexcept;
  QuantizedWeight& operator=(QuantizedWeight&&) noexcept;
  ~QuantizedWeight();

  bool empty() const { return impl_ == nullptr; }
  std::int64_t n() const { return n_; }
  std::int64_t k() const { return k_; }
  Int8Kernel kernel() const;
  const std::int8_t* values() const;  // q [n, k]
  const float* scales() const;        // s_w [n]

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::int64_t n_ = 0;
  std::int64_t k_ = 0;
  std::unique_ptr<Impl> impl_;
};

// y [m, n] = x [m, k] · W^T through the weight's kernel (fp32 in, fp32 out, y overwritten).
// Thread-safe; runs on the calling thread (per-thread scratch).
void linear_int8(const float* x, const QuantizedWeight& w, float* y, std::int64_t m);

// The SwiGLU and the linear after it in one pass, for int8 mode: y [m, n] = swiglu(gu) · W^T with
// gu [m, 2·k] laid out as kernels::swiglu reads it (gate then up per row) and W [n, k]. The
// SwiGLU's fp32 output is never stored: each row is quantised as it is computed. Its sigmoid is
// an approximation to about 4e-6 relative (int8.cpp), below the 8-bit step it is quantised to.
void swiglu_linear_int8(const float* gu, const QuantizedWeight& w, float* y, std::int64_t m);

}  // namespace hrm::kernels
