// Matrix products through oneDNN, in the PyTorch `linear` convention: Y[M,N] = X[M,K] · W[N,K]^T
// with W stored [out, in]. All matrices are dense row-major.
//
// Threading: every call runs on the calling thread only. oneDNN (an OpenMP build) is pinned to one
// OpenMP thread per calling thread, so callers parallelise by splitting rows across oneTBB tasks.
// Calls are thread-safe; primitives are created once per shape and cached process-wide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "hrm/kernels/bf16.hpp"

namespace hrm::kernels {

// bf16 copy of an fp32 master weight [n, k], pre-packed once in the blocked layout oneDNN's
// bf16 matmul reads (3-14% faster in bench_kernels than handing it the plain [n, k] matrix,
// which oneDNN re-packs on every call). The values are the master rounded with to_bf16. On CPUs
// where oneDNN has no fast bf16 matmul (no AVX-512, cpu.hpp) it holds the same values as a plain
// fp32 [n, k] matrix and the bf16 linears run as fp32 matmuls on exactly converted operands. Call
// repack() after the optimizer changed the master weight (not while matmuls read it). Move-only; a
// default-constructed one is an empty 0×0 weight.
class PackedWeight {
 public:
  PackedWeight();
  PackedWeight(const float* w, std::int64_t n, std::int64_t k);
  PackedWeight(PackedWeight&&) noexcept;
  PackedWeight& operator=(PackedWeight&&) noexcept;
  ~PackedWeight();

  void repack(const float* w);  // same shape as at construction

  std::int64_t n() const { return n_; }
  std::int64_t k() const { return k_; }
  const void* packed_data() const;  // the opaque blocked buffer linear() reads

 private:
  struct Impl;  // oneDNN layout and buffer; keeps oneDNN out of this header

  std::int64_t n_ = 0;
  std::int64_t k_ = 0;
  std::unique_ptr<Impl> impl_;
};

// fp32: Y = X·W^T, or Y += X·W^T when accumulate.
void linear(const float* x, const float* w, float* y, std::int64_t m, std::int64_t n,
            std::int64_t k, bool accumulate = false);

// bf16 inputs, fp32 accumulation; fp32 or bf16 (rounded once at the end) output.
void linear(const bf16* x, const PackedWeight& w, float* y, std::int64_t m,
            bool accumulate = false);
void linear(const bf16* x, const PackedWeight& w, bf16* y, std::int64_t m, bool accumulate = false);

// Backward of linear, fp32. dX[M,K] = dY[M,N]·W[N,K] (or += when accumulate).
void linear_backward_input(const float* dy, const float* w, float* dx, std::int64_t m,
                           std::int64_t n, std::int64_t k, bool accumulate = false);
// dW[N,K] += dY[M,N]^T · X[M,K]  (always accumulates, like parameter .grad).
void linear_backward_weight(const float* dy, const float* x, float* dw, std::int64_t m,
                            std::int64_t n, std::int64_t k);

// General product C[M,N] (+)= op(A)·op(B), op = transpose when trans_*. A is [M,K] (or [K,M]
// when trans_a), B is [K,N] (or [N,K] when trans_b). fp32 everywhere.
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          const float* a, const float* b, float* c, bool accumulate);

// Number of distinct oneDNN primitives currently cached (for tests and diagnostics).
std::size_t matmul_cache_size();

}  // namespace hrm::kernels
