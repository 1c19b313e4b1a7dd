#include "hrm/kernels/attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "attention.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include "dispatch.hpp"
#include "simd-inl.h"

// AVX-512 passes: AVX512-BF16 is allowed for the whole file so the dot-product path of bf16
// attention (Bf16DotOperands) can use vdpbf16ps; it only runs after the CPUID check in
// AttentionBf16. Only its intrinsics emit AVX512-BF16 instructions (GCC has no auto-vectorisation
// pattern producing them for fp32 code), so the rest of the pass still runs on any AVX-512 CPU.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#define HRM_BF16_DOT 1
#else
#define HRM_BF16_DOT 0
#endif

HWY_BEFORE_NAMESPACE();
#if HRM_BF16_DOT
HWY_PUSH_ATTRIBUTES(HWY_TARGET_STR ",avx512bf16")
#endif
namespace hrm::kernels::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
using simd::D;
using simd::kLanes;
using simd::tail;
using simd::V;
using Mask = hn::Mask<D>;

// Query rows per block (register blocking of the micro-kernels) and key vectors per block: 4×64
// keys on AVX-512, 4×32 on AVX2, 4×16 on 128-bit targets.
constexpr std::int64_t kRows = 4;
constexpr int kKeyVecs = 4;
constexpr std::int64_t kKeys = kKeyVecs * kLanes;

using Scores = float[kRows][kKeys];

std::int64_t round_up(std::int64_t x, std::int64_t m) { return (x + m - 1) / m * m; }

inline float value(float x) { return x; }
inline float value(bf16 x) { return to_float(x); }

// dst = scale·src over n elements, converting between fp32 and bf16 storage as needed.
template <typename S, typename T>
void convert_row(const S* src, T* dst, std::int64_t n, float scale = 1.0f) {
  const V s = hn::Set(D(), scale);
  for (std::int64_t i = 0; i < n; i += kLanes) {
    const std::size_t m = tail(n - i);
    simd::store(dst + i, hn::Mul(simd::load(src + i, m), s), m);
  }
}

// Software prefetch of the cache lines of n elements starting at row.
template <typename T>
void prefetch_row(const T* row, std::int64_t n) {
  const char* p = reinterpret_cast<const char*>(row);
  for (std::size_t b = 0; b < n * sizeof(T); b += 64) hwy::Prefetch(p + b);
}

// Gathers the rows of one head from the packed buffer: dst[r, :] = scale·src[r·stride + 0..dim).
template <typename T>
void gather(const T* src, std::int64_t stride, std::int64_t rows, std::int64_t dim, float* dst,
            float scale = 1.0f) {
  for (std::int64_t r = 0; r < rows; ++r) convert_row(src + r * stride, dst + r * dim, dim, scale);
}

// dst[d, r] = src[r·stride + d] for r < rows (transposed gather; dst has leading dim ld).
template <typename T>
void gather_transposed(const T* src, std::int64_t stride, std::int64_t rows, std::int64_t dim,
                       float* dst, std::int64_t ld) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t d = 0; d < dim; ++d) dst[d * ld + r] = value(src[r * stride + d]);
}

// The i-th term of a micro-kernel's sum over the reduction dimension (n terms). kPairs: the
// order of vdpbf16ps, odd element of each pair first (1, 0, 3, 2, ...), which the fp32 emulation
// of bf16 attention follows so that it matches the AVX512-BF16 path; a trailing odd element (keys
// of an odd-length block) comes alone. An index map rather than a callback keeps the accumulator
// arrays in registers.
template <bool kPairs>
HWY_INLINE std::int64_t term(std::int64_t i, std::int64_t n) {
  if constexpr (kPairs) return (i ^ 1) < n ? i ^ 1 : i;
  return i;
}

// s[r][j] = scale·Σ_d a[r, d] · bt[d, j] for j < kLanes·NV: kRows rows of a ([kRows, dim])
// against a key block of the transposed matrix bt ([dim, ld]). NV is a template parameter so the
// accumulators stay in registers for the shorter last block too.
template <int NV, bool kPairs>
void block_scores(const float* a, std::int64_t dim, const float* bt, std::int64_t ld, float scale,
                  Scores& s) {
  const D d;
  V acc[kRows][NV];
  for (auto& row : acc)
    for (auto& v : row) v = hn::Zero(d);
  for (std::int64_t i = 0; i < dim; ++i) {
    const std::int64_t e = term<kPairs>(i, dim);
    V b[NV];
    for (int c = 0; c < NV; ++c) b[c] = hn::LoadU(d, bt + e * ld + c * kLanes);
    for (std::int64_t r = 0; r < kRows; ++r) {
      const V ar = hn::Set(d, a[r * dim + e]);
      for (int c = 0; c < NV; ++c) acc[r][c] = hn::MulAdd(ar, b[c], acc[r][c]);
    }
  }
  const V sc = hn::Set(d, scale);
  for (std::int64_t r = 0; r < kRows; ++r)
    for (int c = 0; c < NV; ++c) hn::StoreU(hn::Mul(acc[r][c], sc), d, &s[r][c * kLanes]);
}

// Scores for the key vectors [0, vecs) of a block (1 ≤ vecs ≤ kKeyVecs).
template <bool kPairs = false>
void block_scores(int vecs, const float* a, std::int64_t dim, const float* bt, std::int64_t ld,
                  float scale, Scores& s) {
  switch (vecs) {
    case 1:
      return block_scores<1, kPairs>(a, dim, bt, ld, scale, s);
    case 2:
      return block_scores<2, kPairs>(a, dim, bt, ld, scale, s);
    case 3:
      return block_scores<3, kPairs>(a, dim, bt, ld, scale, s);
    default:
      return block_scores<kKeyVecs, kPairs>(a, dim, bt, ld, scale, s);
  }
}

// Lanes of each of the kVecs output vectors starting at column c0 of a row of dim columns.
template <int kVecs>
void column_lanes(std::int64_t c0, std::int64_t dim, std::size_t (&n)[kVecs]) {
  for (int c = 0; c < kVecs; ++c) n[c] = tail(dim - c0 - c * kLanes);
}

// o[r, :] += Σ_{j < keys} p[r][j] · m[j, :] for one key block of m ([keys, dim]); o is
// [kRows, dim].
template <bool kPairs = false>
void block_accumulate(const Scores& p, const float* m, std::int64_t keys, std::int64_t dim,
                      float* o) {
  constexpr int kVecs = 4;  // output columns per pass: kRows·kVecs = 16 accumulators
  const D d;
  for (std::int64_t c0 = 0; c0 < dim; c0 += kVecs * kLanes) {
    std::size_t n[kVecs];
    column_lanes(c0, dim, n);
    V acc[kRows][kVecs];
    for (std::int64_t r = 0; r < kRows; ++r)
      for (int c = 0; c < kVecs; ++c) acc[r][c] = simd::load(o + r * dim + c0 + c * kLanes, n[c]);
    for (std::int64_t i = 0; i < keys; ++i) {
      const std::int64_t j = term<kPairs>(i, keys);
      V mv[kVecs];
      for (int c = 0; c < kVecs; ++c) mv[c] = simd::load(m + j * dim + c0 + c * kLanes, n[c]);
      for (std::int64_t r = 0; r < kRows; ++r) {
        const V pr = hn::Set(d, p[r][j]);
        for (int c = 0; c < kVecs; ++c) acc[r][c] = hn::MulAdd(pr, mv[c], acc[r][c]);
      }
    }
    for (std::int64_t r = 0; r < kRows; ++r)
      for (int c = 0; c < kVecs; ++c) simd::store(o + r * dim + c0 + c * kLanes, acc[r][c], n[c]);
  }
}

// m[j, :] += Σ_r p[r][j] · a[r, :] for j < keys: the transposed product of block_accumulate,
// a is [kRows, dim] and m one key block [keys, dim]. The kRows × 4-vector slab of a stays in
// registers while the rows of m stream through once.
void block_accumulate_transposed(const Scores& p, const float* a, std::int64_t keys,
                                 std::int64_t dim, float* m) {
  constexpr int kVecs = 4;
  const D d;
  for (std::int64_t c0 = 0; c0 < dim; c0 += kVecs * kLanes) {
    std::size_t n[kVecs];
    column_lanes(c0, dim, n);
    V av[kRows][kVecs];
    for (std::int64_t r = 0; r < kRows; ++r)
      for (int c = 0; c < kVecs; ++c) av[r][c] = simd::load(a + r * dim + c0 + c * kLanes, n[c]);
    for (std::int64_t j = 0; j < keys; ++j) {
      V pr[kRows];
      for (std::int64_t r = 0; r < kRows; ++r) pr[r] = hn::Set(d, p[r][j]);
      for (int c = 0; c < kVecs; ++c) {
        float* dst = m + j * dim + c0 + c * kLanes;
        V acc = simd::load(dst, n[c]);
        for (std::int64_t r = 0; r < kRows; ++r) acc = hn::MulAdd(pr[r], av[r][c], acc);
        simd::store(dst, acc, n[c]);
      }
    }
  }
}

// Lanes of key vector c of the block starting at j0 that hold real keys (the rest is padding).
Mask key_mask(std::int64_t j0, int c, std::int64_t len) {
  return hn::FirstN(D(), tail(len - j0 - c * kLanes));
}

float scale_for(std::int64_t head_dim) { return 1.0f / std::sqrt(static_cast<float>(head_dim)); }

// Operands in fp32 copies of one head: Q·Kᵀ and P·V with fp32 FMAs.
//   kBf16 = false: fp32 attention. The softmax scale is folded into q (exact for power-of-two
//     head dims).
//   kBf16 = true: bf16 attention on CPUs without AVX512-BF16, computing what Bf16DotOperands
//     computes: bf16 -> fp32 is exact and so is the product of two bf16 values in fp32, the sums
//     run in vdpbf16ps's order (term<true>), the scale is applied to the finished dot
//     product and P is rounded to bf16 for P·V. The results equal the AVX512-BF16 path's except
//     where that instruction flushes denormals to zero.
template <bool kBf16>
class Fp32Operands {
 public:
  Fp32Operands(std::int64_t len, std::int64_t dim)
      : len_(len),
        dim_(dim),
        ld_(round_up(len, kLanes)),
        scale_(scale_for(dim)),
        q_(round_up(len, kRows) * dim, 0.0f),
        kt_(dim * ld_, 0.0f),
        v_(len * dim) {
    if (kBf16 && dim % 2 != 0) throw std::invalid_argument("bf16 attention needs an even head_dim");
  }

  template <typename T>
  void load_head(const T* q, const T* k, const T* v, std::int64_t stride) {
    gather(q, stride, len_, dim_, q_.data(), kBf16 ? 1.0f : scale_);
    gather_transposed(k, stride, len_, dim_, kt_.data(), ld_);
    gather(v, stride, len_, dim_, v_.data());
  }
  // Scaled scores of query rows [i0, i0 + kRows) against keys [j0, j0 + kLanes·vecs).
  void scores(std::int64_t i0, int vecs, std::int64_t j0, Scores& s) const {
    block_scores<kBf16>(vecs, q_.data() + i0 * dim_, dim_, kt_.data() + j0, ld_,
                        kBf16 ? scale_ : 1.0f, s);
  }
  // o += p · V[j0 : j0 + keys]
  void accumulate(const Scores& p, std::int64_t j0, std::int64_t keys, float* o) const {
    if constexpr (kBf16) {
      Scores p16;
      for (std::int64_t r = 0; r < kRows; ++r)
        for (std::int64_t j = 0; j < keys; j += kLanes)
          hn::StoreU(simd::round_bf16(hn::LoadU(D(), &p[r][j])), D(), &p16[r][j]);
      block_accumulate<true>(p16, v_.data() + j0 * dim_, keys, dim_, o);
    } else {
      block_accumulate(p, v_.data() + j0 * dim_, keys, dim_, o);
    }
  }

 private:
  std::int64_t len_, dim_, ld_;
  float scale_;
  std::vector<float> q_;   // (scale·)Q [len rounded up to kRows, dim], zero padded
  std::vector<float> kt_;  // Kᵀ [dim, ld], zero past len
  std::vector<float> v_;   // V [len, dim]
};

#if HRM_BF16_DOT
// bf16 operands on CPUs with AVX512-BF16: Q·Kᵀ and P·V with its dot products (vdpbf16ps
// multiplies bf16 pairs exactly and accumulates in fp32), twice the FMA throughput of fp32. As
// flash-attention does on bf16 inputs, P is rounded to bf16 for P·V while the softmax row sums use
// the fp32 P. The operands are kept in the pair-interleaved layout the instruction reads: lane i of
// a vector holds elements (2i, 2i+1) of the reduction dimension in one 32-bit word.
class Bf16DotOperands {
 public:
  Bf16DotOperands(std::int64_t len, std::int64_t dim)
      : len_(len),
        dim_(dim),
        pairs_(dim / 2),
        ld_(round_up(len, kLanes)),
        scale_(scale_for(dim)),
        q_(round_up(len, kRows) * pairs_, 0),
        kp_(pairs_ * ld_, 0),
        vp_((len + 1) / 2 * dim, 0) {
    if (dim % 2 != 0) throw std::invalid_argument("bf16 attention needs an even head_dim");
  }

  void load_head(const bf16* q, const bf16* k, const bf16* v, std::int64_t stride) {
    // A bf16 row read as 32-bit words is already a row of pairs: q_ is a plain copy and kp_ the
    // transpose of K seen as a [len, dim/2] matrix of words.
    for (std::int64_t j = 0; j < len_; ++j) {
      for (std::int64_t p = 0; p < pairs_; p += kLanes) {
        const __mmask16 m = mask16(tail(pairs_ - p));
        _mm512_mask_storeu_epi32(q_.data() + j * pairs_ + p, m,
                                 _mm512_maskz_loadu_epi32(m, q + j * stride + 2 * p));
      }
      for (std::int64_t p = 0; p < pairs_; ++p)
        std::memcpy(&kp_[p * ld_ + j], k + j * stride + 2 * p, sizeof(std::uint32_t));
    }
    // vp_ row jp interleaves V rows 2jp and 2jp+1; for odd len the last partner is zero.
    alignas(64) static constexpr std::uint16_t kLo[32] = {
        0, 32, 1, 33, 2,  34, 3,  35, 4,  36, 5,  37, 6,  38, 7,  39,
        8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
    const __m512i lo = _mm512_load_si512(kLo);
    const __m512i hi = _mm512_add_epi16(lo, _mm512_set1_epi16(16));
    for (std::int64_t j = 0; j < len_; j += 2) {
      const bf16* a = v + j * stride;
      std::uint32_t* dst = vp_.data() + (j / 2) * dim_;
      for (std::int64_t e = 0; e < dim_; e += 2 * kLanes) {
        const std::int64_t n = std::min<std::int64_t>(2 * kLanes, dim_ - e);
        const __mmask32 m = n == 32 ? ~__mmask32(0) : (__mmask32(1) << n) - 1;
        const __m512i ra = _mm512_maskz_loadu_epi16(m, a + e);
        const __m512i rb =
            j + 1 < len_ ? _mm512_maskz_loadu_epi16(m, a + stride + e) : _mm512_setzero_si512();
        _mm512_mask_storeu_epi32(dst + e, mask16(tail(n)), _mm512_permutex2var_epi16(ra, lo, rb));
        if (n > kLanes)
          _mm512_mask_storeu_epi32(dst + e + kLanes, mask16(tail(n - kLanes)),
                                   _mm512_permutex2var_epi16(ra, hi, rb));
      }
    }
  }
  void scores(std::int64_t i0, int vecs, std::int64_t j0, Scores& s) const {
    const std::uint32_t* q = q_.data() + i0 * pairs_;
    switch (vecs) {
      case 1:
        return scores<1>(q, j0, s);
      case 2:
        return scores<2>(q, j0, s);
      case 3:
        return scores<3>(q, j0, s);
      default:
        return scores<kKeyVecs>(q, j0, s);
    }
  }
  void accumulate(const Scores& p, std::int64_t j0, std::int64_t keys, float* o) const {
    // P rows to bf16; entries past `keys` are zero (masked in the softmax), so pairs are complete.
    alignas(64) std::uint16_t p16[kRows][kKeys];
    const std::int64_t vecs = (keys + kLanes - 1) / kLanes;
    for (std::int64_t r = 0; r < kRows; ++r)
      for (std::int64_t c = 0; c < vecs; ++c)
        _mm256_store_si256(reinterpret_cast<__m256i*>(&p16[r][c * kLanes]),
                           simd::cvt_bf16(hn::LoadU(D(), &p[r][c * kLanes])).raw);
    const std::int64_t key_pairs = (keys + 1) / 2;
    const std::uint32_t* vp = vp_.data() + (j0 / 2) * dim_;
    constexpr int kVecs = 4;
    for (std::int64_t c0 = 0; c0 < dim_; c0 += kVecs * kLanes) {
      std::size_t n[kVecs];
      column_lanes(c0, dim_, n);
      __m512 acc[kRows][kVecs];
      for (std::int64_t r = 0; r < kRows; ++r)
        for (int c = 0; c < kVecs; ++c)
          acc[r][c] = simd::load(o + r * dim_ + c0 + c * kLanes, n[c]).raw;
      for (std::int64_t jp = 0; jp < key_pairs; ++jp) {
        __m512bh vv[kVecs];
        for (int c = 0; c < kVecs; ++c)
          vv[c] = (__m512bh)_mm512_maskz_loadu_epi32(mask16(n[c]), vp + jp * dim_ + c0 + c * kLanes);
        for (std::int64_t r = 0; r < kRows; ++r) {
          std::uint32_t pair;
          std::memcpy(&pair, &p16[r][2 * jp], sizeof pair);
          const __m512bh pr = (__m512bh)_mm512_set1_epi32(static_cast<int>(pair));
          for (int c = 0; c < kVecs; ++c) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], pr, vv[c]);
        }
      }
      for (std::int64_t r = 0; r < kRows; ++r)
        for (int c = 0; c < kVecs; ++c) simd::store(o + r * dim_ + c0 + c * kLanes, V{acc[r][c]}, n[c]);
    }
  }

 private:
  static __mmask16 mask16(std::size_t n) { return hn::FirstN(D(), n).raw; }

  template <int NV>
  void scores(const std::uint32_t* q, std::int64_t j0, Scores& s) const {
    __m512 acc[kRows][NV];
    for (auto& row : acc)
      for (auto& v : row) v = _mm512_setzero_ps();
    for (std::int64_t p = 0; p < pairs_; ++p) {
      __m512bh kv[NV];
      for (int c = 0; c < NV; ++c)
        kv[c] = (__m512bh)_mm512_loadu_si512(kp_.data() + p * ld_ + j0 + c * kLanes);
      for (std::int64_t r = 0; r < kRows; ++r) {
        const __m512bh qr = (__m512bh)_mm512_set1_epi32(static_cast<int>(q[r * pairs_ + p]));
        for (int c = 0; c < NV; ++c) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], qr, kv[c]);
      }
    }
    const __m512 sc = _mm512_set1_ps(scale_);
    for (std::int64_t r = 0; r < kRows; ++r)
      for (int c = 0; c < NV; ++c)
        _mm512_storeu_ps(&s[r][c * kLanes], _mm512_mul_ps(acc[r][c], sc));
  }

  std::int64_t len_, dim_, pairs_, ld_;
  float scale_;
  std::vector<std::uint32_t> q_;   // Q [len rounded up to kRows, dim/2] as pairs, zero padded
  std::vector<std::uint32_t> kp_;  // K pairs [dim/2, ld]: (K[j, 2p], K[j, 2p+1]), zero past len
  std::vector<std::uint32_t> vp_;  // V pairs [ceil(len/2), dim]
};
#endif  // HRM_BF16_DOT

// Flash-attention forward over key blocks with an online softmax; Operands supplies the packed
// head and the two block products.
template <typename Operands, typename T>
void attention_forward(const T* qkv, T* out, std::int64_t batch, std::int64_t len,
                       std::int64_t heads, std::int64_t dim, float* lse) {
  const D d;
  const std::int64_t stride = 3 * heads * dim;
  const std::int64_t out_stride = heads * dim;
  Operands ops(len, dim);
  std::vector<float> o(kRows * dim);
  Scores s;

  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t h = 0; h < heads; ++h) {
      const T* base = qkv + b * len * stride;
      ops.load_head(base + h * dim, base + (heads + h) * dim, base + (2 * heads + h) * dim, stride);
      // The next head's q/k/v and output rows are fetched into cache a few rows per block while
      // this head computes: its rows are too far apart for the hardware prefetcher (≈10-15%
      // faster once the batch no longer fits in L2).
      const T* next_in = nullptr;
      T* next_out = nullptr;
      if (h + 1 < heads) {
        next_in = base + (h + 1) * dim;
        next_out = out + b * len * out_stride + (h + 1) * dim;
      } else if (b + 1 < batch) {
        next_in = base + len * stride;
        next_out = out + (b + 1) * len * out_stride;
      }

      for (std::int64_t i0 = 0; i0 < len; i0 += kRows) {
        const std::int64_t rows = std::min(kRows, len - i0);
        if (next_in) {
          for (std::int64_t r = i0; r < i0 + rows; ++r) {
            for (std::int64_t part = 0; part < 3; ++part)
              prefetch_row(next_in + r * stride + part * heads * dim, dim);
            prefetch_row(next_out + r * out_stride, dim);
          }
        }
        std::fill(o.begin(), o.end(), 0.0f);
        float row_max[kRows], row_sum[kRows];
        std::fill(row_max, row_max + kRows, -std::numeric_limits<float>::infinity());
        std::fill(row_sum, row_sum + kRows, 0.0f);

        for (std::int64_t j0 = 0; j0 < len; j0 += kKeys) {
          const std::int64_t keys = std::min(kKeys, len - j0);
          const int vecs = static_cast<int>((keys + kLanes - 1) / kLanes);
          ops.scores(i0, vecs, j0, s);
          for (std::int64_t r = 0; r < kRows; ++r) {
            // Online softmax: rescale the running sum and output to the new row maximum.
            V sv[kKeyVecs];
            Mask km[kKeyVecs];
            V mx = hn::Set(d, -std::numeric_limits<float>::infinity());
            for (int c = 0; c < vecs; ++c) {
              km[c] = key_mask(j0, c, len);
              sv[c] = hn::LoadU(d, &s[r][c * kLanes]);
              mx = hn::IfThenElse(km[c], hn::Max(mx, sv[c]), mx);
            }
            const float new_max = std::max(row_max[r], simd::reduce_max(mx));
            const float correction = std::exp(row_max[r] - new_max);
            row_max[r] = new_max;
            V sum = hn::Zero(d);
            for (int c = 0; c < vecs; ++c) {
              const V p = hn::IfThenElseZero(km[c], simd::exp(hn::Sub(sv[c], hn::Set(d, new_max))));
              hn::StoreU(p, d, &s[r][c * kLanes]);
              sum = hn::Add(sum, p);
            }
            row_sum[r] = row_sum[r] * correction + simd::reduce_add(sum);
            for (std::int64_t e = 0; e < dim; ++e) o[r * dim + e] *= correction;
          }
          ops.accumulate(s, j0, keys, o.data());
        }

        for (std::int64_t r = 0; r < rows; ++r) {
          T* dst = out + (b * len + i0 + r) * out_stride + h * dim;
          convert_row(o.data() + r * dim, dst, dim, 1.0f / row_sum[r]);
          if (lse) lse[(b * heads + h) * len + i0 + r] = row_max[r] + std::log(row_sum[r]);
        }
      }
    }
  }
}

}  // namespace

void AttentionF32(const float* qkv, float* out, std::int64_t batch, std::int64_t len,
                  std::int64_t heads, std::int64_t head_dim, float* lse) {
  attention_forward<Fp32Operands<false>>(qkv, out, batch, len, heads, head_dim, lse);
}

void AttentionBf16(const bf16* qkv, bf16* out, std::int64_t batch, std::int64_t len,
                   std::int64_t heads, std::int64_t head_dim, float* lse) {
#if HRM_BF16_DOT
  if (detail::cpu_has_avx512_bf16())
    return attention_forward<Bf16DotOperands>(qkv, out, batch, len, heads, head_dim, lse);
#endif
  attention_forward<Fp32Operands<true>>(qkv, out, batch, len, heads, head_dim, lse);
}

void AttentionBackward(const float* qkv, const float* out, const float* dout, const float* lse,
                       float* dqkv, std::int64_t batch, std::int64_t len, std::int64_t heads,
                       std::int64_t dim) {
  const D d;
  const std::int64_t stride = 3 * heads * dim;
  const std::int64_t out_stride = heads * dim;
  const float scale = scale_for(dim);
  const std::int64_t ld = round_up(len, kLanes);
  std::vector<float> kt(dim * ld, 0.0f);  // Kᵀ, for S = Q·Kᵀ (zero past len)
  std::vector<float> vt(dim * ld, 0.0f);  // Vᵀ, for dP = dO·Vᵀ
  std::vector<float> k(len * dim);        // K, for dQ = dS·K
  std::vector<float> dk(len * dim), dv(len * dim);
  std::vector<float> q(kRows * dim), dor(kRows * dim), dq(kRows * dim);
  Scores p, dp;

  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t h = 0; h < heads; ++h) {
      const float* base = qkv + b * len * stride;
      const float* kbase = base + (heads + h) * dim;
      const float* vbase = base + (2 * heads + h) * dim;
      gather_transposed(kbase, stride, len, dim, kt.data(), ld);
      gather_transposed(vbase, stride, len, dim, vt.data(), ld);
      gather(kbase, stride, len, dim, k.data());
      std::fill(dk.begin(), dk.end(), 0.0f);
      std::fill(dv.begin(), dv.end(), 0.0f);

      for (std::int64_t i0 = 0; i0 < len; i0 += kRows) {
        const std::int64_t rows = std::min(kRows, len - i0);
        std::fill(q.begin(), q.end(), 0.0f);
        std::fill(dor.begin(), dor.end(), 0.0f);
        std::fill(dq.begin(), dq.end(), 0.0f);
        gather(base + i0 * stride + h * dim, stride, rows, dim, q.data(), scale);
        gather(dout + (b * len + i0) * out_stride + h * dim, out_stride, rows, dim, dor.data());
        // delta_r = Σ_d dO[r,d]·O[r,d] = Σ_j P[r,j]·dP[r,j]
        float delta[kRows] = {}, row_lse[kRows] = {};
        for (std::int64_t r = 0; r < rows; ++r) {
          const float* o_row = out + (b * len + i0 + r) * out_stride + h * dim;
          for (std::int64_t e = 0; e < dim; ++e) delta[r] += dor[r * dim + e] * o_row[e];
          row_lse[r] = lse[(b * heads + h) * len + i0 + r];
        }

        for (std::int64_t j0 = 0; j0 < len; j0 += kKeys) {
          const std::int64_t keys = std::min(kKeys, len - j0);
          const int vecs = static_cast<int>((keys + kLanes - 1) / kLanes);
          block_scores(vecs, q.data(), dim, kt.data() + j0, ld, 1.0f, p);
          block_scores(vecs, dor.data(), dim, vt.data() + j0, ld, 1.0f, dp);
          for (std::int64_t r = 0; r < kRows; ++r) {
            // Padded query rows (r >= rows) get P = 0 so they contribute nothing.
            for (int c = 0; c < vecs; ++c) {
              const Mask m = r < rows ? key_mask(j0, c, len) : hn::FirstN(d, 0);
              const V pv = hn::IfThenElseZero(
                  m, simd::exp(hn::Sub(hn::LoadU(d, &p[r][c * kLanes]), hn::Set(d, row_lse[r]))));
              const V ds =
                  hn::Mul(pv, hn::Sub(hn::LoadU(d, &dp[r][c * kLanes]), hn::Set(d, delta[r])));
              hn::StoreU(pv, d, &p[r][c * kLanes]);
              hn::StoreU(ds, d, &dp[r][c * kLanes]);  // dp now holds dS
            }
          }
          // dV[j] += Σ_r P[r,j]·dO[r];  dK[j] += Σ_r dS[r,j]·(scale·Q[r]);  dQ += dS·K (the
          // scale is applied when dQ is written out)
          block_accumulate_transposed(p, dor.data(), keys, dim, dv.data() + j0 * dim);
          block_accumulate_transposed(dp, q.data(), keys, dim, dk.data() + j0 * dim);
          block_accumulate(dp, k.data() + j0 * dim, keys, dim, dq.data());
        }

        for (std::int64_t r = 0; r < rows; ++r)
          convert_row(dq.data() + r * dim, dqkv + (b * len + i0 + r) * stride + h * dim, dim,
                      scale);
      }

      for (std::int64_t j = 0; j < len; ++j) {
        float* row = dqkv + (b * len + j) * stride;
        std::copy_n(dk.data() + j * dim, dim, row + (heads + h) * dim);
        std::copy_n(dv.data() + j * dim, dim, row + (2 * heads + h) * dim);
      }
    }
  }
}

}  // namespace hrm::kernels::HWY_NAMESPACE
#if HRM_BF16_DOT
HWY_POP_ATTRIBUTES
#endif
HWY_AFTER_NAMESPACE();
#undef HRM_BF16_DOT

#if HWY_ONCE
namespace hrm::kernels {

HWY_EXPORT(AttentionF32);
HWY_EXPORT(AttentionBf16);
HWY_EXPORT(AttentionBackward);

void attention(const float* qkv, float* out, std::int64_t batch, std::int64_t len,
               std::int64_t heads, std::int64_t head_dim, float* lse) {
  HRM_DISPATCH(AttentionF32)(qkv, out, batch, len, heads, head_dim, lse);
}

void attention(const bf16* qkv, bf16* out, std::int64_t batch, std::int64_t len, std::int64_t heads,
               std::int64_t head_dim, float* lse) {
  HRM_DISPATCH(AttentionBf16)(qkv, out, batch, len, heads, head_dim, lse);
}

void attention_backward(const float* qkv, const float* out, const float* dout, const float* lse,
                        float* dqkv, std::int64_t batch, std::int64_t len, std::int64_t heads,
                        std::int64_t head_dim) {
  HRM_DISPATCH(AttentionBackward)(qkv, out, dout, lse, dqkv, batch, len, heads, head_dim);
}

}  // namespace hrm::kernels
#endif  // HWY_ONCE
