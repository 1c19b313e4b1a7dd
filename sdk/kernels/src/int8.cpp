// int8 linears (int8.hpp): the per-row activation quantisation is a Highway kernel (one copy per
// SIMD target, bit-identical: a product and a round-half-even per element, nothing to fuse); the
// integer products run in one of three kernels, all computing the same int32 sums and the same
// fp32 epilogue, so the results do not depend on the kernel or the target.
#include "hrm/kernels/int8.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "hrm/kernels/int8.hpp"  // kActMax, kWeightMax

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "int8.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hrm::kernels::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
using simd::D;
using simd::DI;
using simd::kLanes;
using simd::tail;
using simd::V;

}  // namespace

namespace {

// Quantises one row xr [k] whose masked min/max are lo, hi (the range includes 0) into qr [kp]:
// the scheme of int8.hpp. load_row(p, n) loads n lanes (the others 0); a full store may run past
// qr + k (up to q_end), the padding is cleared after.
template <class LoadRow>
HWY_INLINE void quantize_row(const float* xr, std::int64_t k, std::int64_t kp, float lo, float hi, std::uint8_t* qr,
                             const std::uint8_t* q_end, float* scale, std::int32_t* zero, const LoadRow& load_row) {
  const D d;
  const DI di;
  const hn::Rebind<std::uint8_t, DI> d8;
  const float range = hi - lo;
  float inv = 0.0f, s = 0.0f;
  std::int32_t z = 0;
  if (range > 0.0f && range <= 3.4e38f) {
    inv = float(kActMax) / range;
    s = range / float(kActMax);
    z = static_cast<std::int32_t>(std::nearbyint(-lo * inv));
    z = std::min(std::max(z, 0), kActMax);
  } else if (!(range == 0.0f)) {
    s = std::numeric_limits<float>::quiet_NaN();  // non-finite input: a NaN row, never a crash
  }
  *scale = s;
  *zero = z;
  const V vinv = hn::Set(d, inv);
  const auto vz = hn::Set(di, z), v0 = hn::Zero(di), v127 = hn::Set(di, kActMax);
  for (std::int64_t i = 0; i < k; i += kLanes) {
    const std::size_t n = tail(k - i);
    auto qi = hn::Add(hn::ConvertTo(di, hn::Round(hn::Mul(load_row(xr + i, n), vinv))), vz);
    qi = hn::Min(hn::Max(qi, v0), v127);
    if (qr + i + kLanes <= q_end) hn::StoreU(hn::DemoteTo(d8, qi), d8, qr + i);
    else simd::store_n(d8, hn::DemoteTo(d8, qi), qr + i, n);
  }
  for (std::int64_t i = k; i < kp; ++i) qr[i] = 0;
}

// sigmoid for the fused SwiGLU of int8 mode: e^x by a degree-5 polynomial on the reduced
// argument (relative error < 4e-6) and 1/(1 + e) by the approximate reciprocal and one Newton
// step (about 2^-22): far below the quantisation step (1/255 of the row's range) it feeds.
HWY_INLINE V fast_sigmoid(V g) {
  const D d;
  const DI di;
  const V x = hn::Min(hn::Max(hn::Neg(g), hn::Set(d, -87.0f)), hn::Set(d, 87.0f));   // e^-g
  const V n = hn::Round(hn::Mul(x, hn::Set(d, 1.44269504088896341f)));
  const V r = hn::NegMulAdd(n, hn::Set(d, 0.693147180559945f), x);
  V p = hn::Set(d, 1.0f / 120);
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 24));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 6));
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  const V e = hn::Mul(p, hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(hn::ConvertTo(di, n), hn::Set(di, 127)))));
  const V den = hn::Add(hn::Set(d, 1.0f), e);
  const V rc = hn::ApproximateReciprocal(den);
  return hn::Mul(rc, hn::NegMulAdd(den, rc, hn::Set(d, 2.0f)));
}

}  // namespace

void QuantizeRows(const float* x, std::int64_t m, std::int64_t k, std::int64_t kp, std::uint8_t* q,
                  float* scale, std::int32_t* zero) {
  const D d;
  const float* x_end = x + m * k;
  std::uint8_t* q_end = q + m * kp;
  // A row's last partial vector: a full load masked to its n lanes when the matrix continues past
  // it (rows are short, e.g. 85 values, so the copy through a buffer would cost more than the
  // rest of the row), else the safe partial load.
  const auto load_row = [&](const float* p, std::size_t n) -> V {
    if (n == static_cast<std::size_t>(kLanes) || p + kLanes <= x_end)
      return hn::IfThenElseZero(hn::FirstN(d, n), hn::LoadU(d, p));
    return simd::load(p, n);
  };
  for (std::int64_t r = 0; r < m; ++r) {
    const float* xr = x + r * k;
    V vmin = hn::Zero(d), vmax = hn::Zero(d);   // masked lanes are 0, which the range includes anyway
    for (std::int64_t i = 0; i < k; i += kLanes) {
      const V v = load_row(xr + i, tail(k - i));
      vmin = hn::Min(vmin, v);
      vmax = hn::Max(vmax, v);
    }
    quantize_row(xr, k, kp, hn::GetLane(hn::MinOfLanes(d, vmin)), hn::GetLane(hn::MaxOfLanes(d, vmax)), q + r * kp,
                 q_end, scale + r, zero + r, load_row);
  }
}

// y = silu(gate)·up of rows of gu [rows, 2·inter] (kernels/swiglu.hpp's layout), quantised per
// row like QuantizeRows without storing y: each row goes through `row` (inter + kLanes floats).
void SwigluQuantize(const float* gu, std::int64_t rows, std::int64_t inter, std::int64_t kp, std::uint8_t* q,
                    float* scale, std::int32_t* zero, float* row) {
  const D d;
  std::uint8_t* q_end = q + rows * kp;
  const auto load_row = [&](const float* p, std::size_t n) -> V {
    return hn::IfThenElseZero(hn::FirstN(d, n), hn::LoadU(d, p));   // `row` has kLanes of slack
  };
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* gate = gu + r * 2 * inter;
    const float* up = gate + inter;
    V vmin = hn::Zero(d), vmax = hn::Zero(d);
    for (std::int64_t i = 0; i < inter; i += kLanes) {
      const std::size_t n = tail(inter - i);
      const V g = simd::load(gate + i, n);
      const V y = hn::Mul(hn::Mul(g, fast_sigmoid(g)), simd::load(up + i, n));   // tail lanes: 0
      hn::StoreU(y, d, row + i);
      vmin = hn::Min(vmin, y);
      vmax = hn::Max(vmax, y);
    }
    quantize_row(row, inter, kp, hn::GetLane(hn::MinOfLanes(d, vmin)), hn::GetLane(hn::MaxOfLanes(d, vmax)), q + r * kp,
                 q_end, scale + r, zero + r, load_row);
  }
}

}  // namespace hrm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cstdlib>
#include <stdexcept>

#include "dispatch.hpp"
#include "hrm/kernels/cpu.hpp"

#if HWY_ARCH_X86
#include <immintrin.h>
#endif

namespace hrm::kernels {

HWY_EXPORT(QuantizeRows);
HWY_EXPORT(SwigluQuantize);

void quantize_rows(const float* x, std::int64_t m, std::int64_t k, std::int64_t kp, std::uint8_t* q,
                   float* scale, std::int32_t* zero) {
  if (kp < k) throw std::invalid_argument("quantize_rows: kp < k");
  HRM_DISPATCH(QuantizeRows)(x, m, k, kp, q, scale, zero);
}

void quantize_weight(const float* w, std::int64_t n, std::int64_t k, std::int8_t* q, float* scale) {
  for (std::int64_t j = 0; j < n; ++j) {
    const float* row = w + j * k;
    float amax = 0.0f;
    for (std::int64_t i = 0; i < k; ++i) {
      if (!std::isfinite(row[i]))
        throw std::invalid_argument("quantize_weight: row " + std::to_string(j) + " has a non-finite value");
      amax = std::max(amax, std::fabs(row[i]));
    }
    const float s = amax / float(kWeightMax);
    scale[j] = s;
    for (std::int64_t i = 0; i < k; ++i) {
      const float v = s > 0.0f ? std::nearbyint(row[i] / s) : 0.0f;
      q[j * k + i] = static_cast<std::int8_t>(std::min(std::max(v, -float(kWeightMax)), float(kWeightMax)));
    }
  }
}

// ---- kernel selection --------------------------------------------------------------------------

namespace {

bool cpu_has_avx2() {
#if HWY_ARCH_X86
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
#else
  return false;
#endif
}

// The avx2 kernel needs the CPU's AVX2 and a dispatch target that allows it (HRM_CPU_TARGET=sse4
// stands for a CPU without AVX2).
bool avx2_allowed() {
  const std::string& t = cpu_target().name;
  return cpu_has_avx2() && (t == "AVX2" || t.rfind("AVX3", 0) == 0);
}

Int8Kernel select_kernel() {
  const char* env = std::getenv("HRM_INT8_KERNEL");
  const std::string v = env ? env : "";
  (void)cpu_target();  // HRM_CPU_TARGET first: it caps oneDNN's instruction set
  if (v.empty() || v == "best") {
    if (detail::onednn_has_vnni()) return Int8Kernel::OneDnn;
    if (avx2_allowed()) return Int8Kernel::Avx2;
    return Int8Kernel::Portable;
  }
  if (v == "onednn") return Int8Kernel::OneDnn;
  if (v == "portable") return Int8Kernel::Portable;
  if (v == "avx2") {
    if (!cpu_has_avx2()) throw UnsupportedCpu("HRM_INT8_KERNEL=avx2: this CPU has no AVX2 (use portable or onednn)");
    if (!avx2_allowed())
      throw UnsupportedCpu("HRM_INT8_KERNEL=avx2 needs the AVX2 or AVX3 dispatch target, not " + cpu_target().name +
                           " (HRM_CPU_TARGET)");
    return Int8Kernel::Avx2;
  }
  throw std::invalid_argument("HRM_INT8_KERNEL=" + v + " is not an int8 kernel; use one of: best avx2 onednn portable");
}

}  // namespace

const char* int8_kernel_name(Int8Kernel k) {
  switch (k) {
    case Int8Kernel::Avx2: return "avx2";
    case Int8Kernel::OneDnn: return "onednn";
    case Int8Kernel::Portable: return "portable";
  }
  return "?";
}

Int8Kernel default_int8_kernel() {
  // Not cached on failure: every call reports the bad setting.
  static const Int8Kernel k = select_kernel();
  return k;
}

std::vector<Int8Kernel> int8_kernels_available() {
  std::vector<Int8Kernel> out{default_int8_kernel()};
  for (Int8Kernel k : {Int8Kernel::Avx2, Int8Kernel::OneDnn, Int8Kernel::Portable})
    if (k != out[0] && (k != Int8Kernel::Avx2 || avx2_allowed())) out.push_back(k);
  return out;
}

// ---- weights -----------------------------------------------------------------------------------

struct QuantizedWeight::Impl {
  Int8Kernel kernel = Int8Kernel::Portable;
  std::int64_t kp = 0;              // k rounded up to a multiple of 4 (one 32-bit group)
  std::int64_t np = 0;              // n rounded up to a multiple of 8 (avx2; n elsewhere)
  std::vector<std::int8_t> q;       // [n, k] as quantised
  std::vector<float> scale;         // [np], 0 past n
  std::vector<std::int32_t> colsum; // [np]: Σ_k q[n, k], for the activations' zero point
  // portable: [n, kp]; avx2: [np/8][kp/4][8][4]; onednn: oneDNN's blocked s8 layout of [kp, n].
  std::vector<std::int8_t> packed;
};

namespace {

std::unique_ptr<QuantizedWeight::Impl> build(std::vector<std::int8_t> q, std::vector<float> scale,
                                             std::int64_t n, std::int64_t k, Int8Kernel kernel) {
  if (kernel == Int8Kernel::Avx2 && !avx2_allowed())
    throw UnsupportedCpu(std::string("the avx2 int8 kernel needs AVX2 and the AVX2 or AVX3 dispatch target (this CPU: ") +
                         (cpu_has_avx2() ? "AVX2, target " + cpu_target().name : std::string("no AVX2")) + ")");
  auto impl = std::make_unique<QuantizedWeight::Impl>();
  impl->kernel = kernel;
  impl->kp = (k + 3) / 4 * 4;
  impl->np = kernel == Int8Kernel::Avx2 ? (n + 7) / 8 * 8 : n;
  const std::int64_t kp = impl->kp, np = impl->np;
  impl->q = std::move(q);
  scale.resize(static_cast<std::size_t>(np), 0.0f);
  impl->scale = std::move(scale);
  impl->colsum.assign(static_cast<std::size_t>(np), 0);
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t i = 0; i < k; ++i) impl->colsum[static_cast<std::size_t>(j)] += impl->q[static_cast<std::size_t>(j * k + i)];
  std::vector<std::int8_t> plain(static_cast<std::size_t>(n * kp), 0);  // [n, kp]
  for (std::int64_t j = 0; j < n; ++j) std::memcpy(plain.data() + j * kp, impl->q.data() + j * k, static_cast<std::size_t>(k));
  switch (kernel) {
    case Int8Kernel::Portable: impl->packed = std::move(plain); break;
    case Int8Kernel::Avx2: {
      impl->packed.assign(static_cast<std::size_t>(np * kp), 0);
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t i = 0; i < kp; ++i)
          impl->packed[static_cast<std::size_t>(((j / 8) * (kp / 4) + i / 4) * 32 + (j % 8) * 4 + i % 4)] =
              plain[static_cast<std::size_t>(j * kp + i)];
      break;
    }
    case Int8Kernel::OneDnn: impl->packed = detail::onednn_pack_s8(plain.data(), n, kp); break;
  }
  return impl;
}

}  // namespace

QuantizedWeight::QuantizedWeight() = default;
QuantizedWeight::QuantizedWeight(QuantizedWeight&&) noexcept = default;
QuantizedWeight& QuantizedWeight::operator=(QuantizedWeight&&) noexcept = default;
QuantizedWeight::~QuantizedWeight() = default;

QuantizedWeight::QuantizedWeight(const float* w, std::int64_t n, std::int64_t k)
    : QuantizedWeight(w, n, k, default_int8_kernel()) {}

QuantizedWeight::QuantizedWeight(const float* w, std::int64_t n, std::int64_t k, Int8Kernel kernel) : n_(n), k_(k) {
  std::vector<std::int8_t> q(static_cast<std::size_t>(n * k));
  std::vector<float> scale(static_cast<std::size_t>(n));
  quantize_weight(w, n, k, q.data(), scale.data());
  impl_ = build(std::move(q), std::move(scale), n, k, kernel);
}

QuantizedWeight::QuantizedWeight(const std::int8_t* q, const float* scale, std::int64_t n, std::int64_t k,
                                 Int8Kernel kernel)
    : n_(n), k_(k) {
  for (std::int64_t j = 0; j < n; ++j)
    if (!(scale[j] >= 0.0f && std::isfinite(scale[j])))
      throw std::invalid_argument("int8 weight: scale of row " + std::to_string(j) + " is not finite and >= 0");
  for (std::int64_t i = 0; i < n * k; ++i)
    if (q[i] < -kWeightMax || q[i] > kWeightMax)
      throw std::invalid_argument("int8 weight: value " + std::to_string(int(q[i])) + " outside [-" + std::to_string(kWeightMax) +
                                  ", " + std::to_string(kWeightMax) + "]");
  impl_ = build(std::vector<std::int8_t>(q, q + n * k), std::vector<float>(scale, scale + n), n, k, kernel);
}

Int8Kernel QuantizedWeight::kernel() const { return impl_ ? impl_->kernel : Int8Kernel::Portable; }
const std::int8_t* QuantizedWeight::values() const { return impl_ ? impl_->q.data() : nullptr; }
const float* QuantizedWeight::scales() const { return impl_ ? impl_->scale.data() : nullptr; }

// ---- products ----------------------------------------------------------------------------------

namespace {

// The epilogue every kernel applies, in this order (two fp32 roundings).
inline float dequant(std::int32_t acc, std::int32_t zero, std::int32_t colsum, float sx, float sw) {
  return static_cast<float>(acc - zero * colsum) * (sx * sw);
}

void gemm_portable(const std::uint8_t* a, std::int64_t m, const QuantizedWeight::Impl& w, std::int64_t n,
                   const float* sx, const std::int32_t* zero, float* y) {
  const std::int64_t kp = w.kp;
  for (std::int64_t r = 0; r < m; ++r) {
    const std::uint8_t* ar = a + r * kp;
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int8_t* b = w.packed.data() + j * kp;
      std::int32_t acc = 0;
      for (std::int64_t i = 0; i < kp; ++i) acc += std::int32_t(ar[i]) * std::int32_t(b[i]);
      y[r * n + j] = dequant(acc, zero[r], w.colsum[static_cast<std::size_t>(j)], sx[r], w.scale[static_cast<std::size_t>(j)]);
    }
  }
}

void gemm_onednn(const std::uint8_t* a, std::int64_t m, const QuantizedWeight::Impl& w, std::int64_t n,
                 const float* sx, const std::int32_t* zero, float* y) {
  thread_local std::vector<std::int32_t> acc;
  if (acc.size() < static_cast<std::size_t>(m * n)) acc.resize(static_cast<std::size_t>(m * n));
  detail::onednn_matmul_u8s8s32(a, w.packed.data(), acc.data(), m, n, w.kp);
  for (std::int64_t r = 0; r < m; ++r)
    for (std::int64_t j = 0; j < n; ++j)
      y[r * n + j] = dequant(acc[static_cast<std::size_t>(r * n + j)], zero[r], w.colsum[static_cast<std::size_t>(j)], sx[r],
                             w.scale[static_cast<std::size_t>(j)]);
}

#if HWY_ARCH_X86
// An MR × (8·NR) tile of y: per group of 4 k, broadcast 4 activation bytes of a row, vpmaddubsw
// against 8 columns × 4 weights (u8·s8 pairs into int16: |pair| <= 2·255·64 = 32640, no saturation),
// vpmaddwd with ones into int32, accumulate. ncols (<= 8·NR) columns are stored.
template <int MR, int NR>
__attribute__((target("avx2"))) void tile_avx2(const std::uint8_t* a, std::int64_t kp, const std::int8_t* b,
                                               const QuantizedWeight::Impl& w, std::int64_t col, const float* sx,
                                               const std::int32_t* zero, float* y, std::int64_t ldy, std::int64_t ncols) {
  const __m256i ones = _mm256_set1_epi16(1);
  const std::int64_t bstride = kp * 8;  // bytes per block of 8 columns
  __m256i acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_si256();
  for (std::int64_t k = 0; k < kp; k += 4) {
    __m256i bv[NR];
    for (int j = 0; j < NR; ++j) bv[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + j * bstride + k * 8));
    for (int i = 0; i < MR; ++i) {
      std::int32_t a4;
      std::memcpy(&a4, a + i * kp + k, 4);
      const __m256i av = _mm256_set1_epi32(a4);
      for (int j = 0; j < NR; ++j)
        acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(_mm256_maddubs_epi16(av, bv[j]), ones));
    }
  }
  for (int j = 0; j < NR; ++j) {
    const __m256i cs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.colsum.data() + col + j * 8));
    const __m256 sw = _mm256_loadu_ps(w.scale.data() + col + j * 8);
    const std::int64_t valid = std::min<std::int64_t>(8, ncols - j * 8);
    for (int i = 0; i < MR; ++i) {
      const __m256i d = _mm256_sub_epi32(acc[i][j], _mm256_mullo_epi32(_mm256_set1_epi32(zero[i]), cs));
      const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(d), _mm256_mul_ps(_mm256_set1_ps(sx[i]), sw));
      float* dst = y + i * ldy + j * 8;
      if (valid == 8) {
        _mm256_storeu_ps(dst, f);
      } else {
        alignas(32) float buf[8];
        _mm256_store_ps(buf, f);
        std::memcpy(dst, buf, static_cast<std::size_t>(valid) * sizeof(float));
      }
    }
  }
}

using TileFn = void (*)(const std::uint8_t*, std::int64_t, const std::int8_t*, const QuantizedWeight::Impl&, std::int64_t,
                        const float*, const std::int32_t*, float*, std::int64_t, std::int64_t);

// 4 rows × 16 columns: 8 accumulators, 2 weight vectors, the broadcast, the ones and a temporary
// fit AVX2's 16 registers (4 × 24 spilled accumulators to the stack: 30% slower).
constexpr int kMr = 4, kNr = 2;
const TileFn kTiles[kMr][kNr] = {{tile_avx2<1, 1>, tile_avx2<1, 2>},
                                 {tile_avx2<2, 1>, tile_avx2<2, 2>},
                                 {tile_avx2<3, 1>, tile_avx2<3, 2>},
                                 {tile_avx2<4, 1>, tile_avx2<4, 2>}};

void gemm_avx2(const std::uint8_t* a, std::int64_t m, const QuantizedWeight::Impl& w, std::int64_t n, const float* sx,
               const std::int32_t* zero, float* y) {
  const std::int64_t kp = w.kp;
  for (std::int64_t r = 0; r < m; r += kMr) {
    const std::int64_t mr = std::min<std::int64_t>(kMr, m - r);
    for (std::int64_t c = 0; c < n; c += 8 * kNr) {
      const std::int64_t nc = std::min<std::int64_t>(8 * kNr, n - c);
      kTiles[mr - 1][(nc + 7) / 8 - 1](a + r * kp, kp, w.packed.data() + (c / 8) * kp * 8, w, c, sx + r, zero + r,
                                       y + r * n + c, n, nc);
    }
  }
}
#endif

}  // namespace

namespace {

// y [m, n] from activations quantised `chunk` rows at a time by produce(r0, rows, q, scale, zero):
// a chunk's quantised rows stay in the L1/L2 cache for the product.
template <class Produce>
void linear_int8_rows(const QuantizedWeight& w, float* y, std::int64_t m, const Produce& produce) {
  if (w.empty()) throw std::invalid_argument("linear_int8: empty weight");
  const QuantizedWeight::Impl& impl = w.impl();
  const std::int64_t n = w.n(), kp = impl.kp;
  const std::int64_t chunk = impl.kernel == Int8Kernel::OneDnn ? 256 : 64;
  thread_local std::vector<std::uint8_t> qa;
  thread_local std::vector<float> sx;
  thread_local std::vector<std::int32_t> zero;
  if (qa.size() < static_cast<std::size_t>(chunk * kp)) qa.resize(static_cast<std::size_t>(chunk * kp));
  if (sx.size() < static_cast<std::size_t>(chunk)) {
    sx.resize(static_cast<std::size_t>(chunk));
    zero.resize(static_cast<std::size_t>(chunk));
  }
  for (std::int64_t r0 = 0; r0 < m; r0 += chunk) {
    const std::int64_t rows = std::min(chunk, m - r0);
    produce(r0, rows, qa.data(), sx.data(), zero.data());
    float* yr = y + r0 * n;
    switch (impl.kernel) {
      case Int8Kernel::Avx2:
#if HWY_ARCH_X86
        gemm_avx2(qa.data(), rows, impl, n, sx.data(), zero.data(), yr);
        break;
#else
        throw UnsupportedCpu("the avx2 int8 kernel exists on x86 only");
#endif
      case Int8Kernel::OneDnn: gemm_onednn(qa.data(), rows, impl, n, sx.data(), zero.data(), yr); break;
      case Int8Kernel::Portable: gemm_portable(qa.data(), rows, impl, n, sx.data(), zero.data(), yr); break;
    }
  }
}

}  // namespace

void linear_int8(const float* x, const QuantizedWeight& w, float* y, std::int64_t m) {
  const std::int64_t k = w.k();
  linear_int8_rows(w, y, m, [&](std::int64_t r0, std::int64_t rows, std::uint8_t* q, float* s, std::int32_t* z) {
    quantize_rows(x + r0 * k, rows, k, (k + 3) / 4 * 4, q, s, z);
  });
}

void swiglu_linear_int8(const float* gu, const QuantizedWeight& w, float* y, std::int64_t m) {
  const std::int64_t inter = w.k(), kp = (inter + 3) / 4 * 4;
  thread_local std::vector<float> row;
  if (row.size() < static_cast<std::size_t>(inter + 64)) row.resize(static_cast<std::size_t>(inter + 64));
  linear_int8_rows(w, y, m, [&](std::int64_t r0, std::int64_t rows, std::uint8_t* q, float* s, std::int32_t* z) {
    HRM_DISPATCH(SwigluQuantize)(gu + r0 * 2 * inter, rows, inter, kp, q, s, z, row.data());
  });
}

}  // namespace hrm::kernels
#endif  // HWY_ONCE
