#include "hrm/kernels/matmul.hpp"

#include <omp.h>

#include <hwy/targets.h>

#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <shared_mutex>
#include <unordered_map>

#include "dispatch.hpp"
#include "hrm/kernels/cpu.hpp"

namespace hrm::kernels {
namespace {

using dt = dnnl::memory::data_type;

// Everything that determines a oneDNN matmul primitive. packed_b: B is a PackedWeight in
// oneDNN's blocked layout (then trans_b is ignored).
struct Key {
  std::int64_t m, n, k;
  dt a_type, b_type, c_type;
  bool trans_a, trans_b, accumulate, packed_b;

  bool operator==(const Key& o) const {
    return m == o.m && n == o.n && k == o.k && a_type == o.a_type && b_type == o.b_type &&
           c_type == o.c_type && trans_a == o.trans_a && trans_b == o.trans_b &&
           accumulate == o.accumulate && packed_b == o.packed_b;
  }
};

struct KeyHash {
  std::size_t operator()(const Key& key) const {
    std::size_t h = 0;
    auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
    mix(std::hash<std::int64_t>{}(key.m));
    mix(std::hash<std::int64_t>{}(key.n));
    mix(std::hash<std::int64_t>{}(key.k));
    mix(static_cast<std::size_t>(key.a_type) | static_cast<std::size_t>(key.b_type) << 8 |
        static_cast<std::size_t>(key.c_type) << 16 | std::size_t(key.trans_a) << 24 |
        std::size_t(key.trans_b) << 25 | std::size_t(key.accumulate) << 26 |
        std::size_t(key.packed_b) << 27);
    return h;
  }
};

// The primitive and the descriptors a call needs, copied out of its primitive descriptor once, at
// creation: each call then reads only this entry, never oneDNN's internals.
struct Entry {
  dnnl::matmul prim;
  dnnl::memory::desc src, weights, dst, scratchpad;
};

// Row-major [rows, cols] matrix, or its transpose viewed through strides (no copy).
dnnl::memory::desc matrix_desc(std::int64_t rows, std::int64_t cols, dt type, bool transposed) {
  return transposed ? dnnl::memory::desc({rows, cols}, type, {1, rows})
                    : dnnl::memory::desc({rows, cols}, type, {cols, 1});
}

// The blocked bf16 layout oneDNN's matmul picks for a [K,N] weight when left free to choose
// (format `any`). It depends on N and K only, not on M, the output type or the sum post-op (checked
// for the HRM shapes), so one packed copy serves every bf16 linear with that weight.
// The int8 weights (u8 activations, s8 weights, s32 sums) get theirs the same way.
dnnl::memory::desc packed_weight_desc(std::int64_t n, std::int64_t k, const dnnl::engine& eng, bool int8 = false) {
  constexpr std::int64_t kAnyM = 64;
  const dnnl::memory::desc a({kAnyM, k}, int8 ? dt::u8 : dt::bf16, {k, 1});
  const dnnl::memory::desc b({k, n}, int8 ? dt::s8 : dt::bf16, dnnl::memory::format_tag::any);
  const dnnl::memory::desc c({kAnyM, n}, int8 ? dt::s32 : dt::f32, {n, 1});
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), eng).weights_desc();
}

class PrimitiveCache {
 public:
  // Entries are never erased, so the returned reference stays valid.
  const Entry& get(const Key& key, const dnnl::engine& eng) {
    {
      std::shared_lock lock(mutex_);
      auto it = map_.find(key);
      if (it != map_.end()) return *it->second;
    }
    // Created under the lock, once per shape (a few milliseconds, at warm-up only). Two threads
    // creating the same shape at once got the same object from oneDNN's own primitive cache,
    // handed over by synchronisation inside uninstrumented libdnnl that ThreadSanitizer cannot
    // see; created here, the entry reaches every other thread through this mutex.
    std::unique_lock lock(mutex_);
    auto& slot = map_[key];
    if (!slot) slot = create(key, eng);
    return *slot;
  }

  std::size_t size() {
    std::shared_lock lock(mutex_);
    return map_.size();
  }

 private:
  static std::unique_ptr<Entry> create(const Key& key, const dnnl::engine& eng) {
    // A is [M,K]; stored [K,M] when trans_a. B is [K,N]; stored [N,K] when trans_b.
    const auto a = matrix_desc(key.m, key.k, key.a_type, key.trans_a);
    const auto b = key.packed_b ? packed_weight_desc(key.n, key.k, eng, key.b_type == dt::s8)
                                : matrix_desc(key.k, key.n, key.b_type, key.trans_b);
    const auto c = matrix_desc(key.m, key.n, key.c_type, false);
    dnnl::primitive_attr attr;
    // User scratchpad: each call passes its own thread-local buffer, so one primitive can run
    // concurrently on several threads.
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (key.accumulate) {
      dnnl::post_ops ops;
      ops.append_sum(1.0f);
      attr.set_post_ops(ops);
    }
    auto pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), attr, eng);
    return std::make_unique<Entry>(
        Entry{dnnl::matmul(pd), pd.src_desc(), pd.weights_desc(), pd.dst_desc(), pd.scratchpad_desc()});
  }

  std::shared_mutex mutex_;
  std::unordered_map<Key, std::unique_ptr<Entry>, KeyHash> map_;
};

// One object so the cached primitives are destroyed before the engine they were created on.
struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  PrimitiveCache cache;
};

// Applies HRM_CPU_TARGET first: it may restrict oneDNN's instruction set, which must happen before
// oneDNN creates anything.
Context& context() {
  detail::apply_cpu_target();
  static Context ctx;
  return ctx;
}

// bf16 matmuls run in oneDNN's bf16 kernels (AVX-512 CPUs; configure_matmul). Elsewhere oneDNN 2.7
// has no fast bf16 matmul, so the bf16 mode's products (bf16 operands, fp32 accumulation) run as
// fp32 matmuls on the operands converted to fp32: the conversion is exact and so is the product of
// two bf16 values in fp32, only the summation order differs from oneDNN's bf16 kernel.
bool native_bf16() { return cpu_target().bf16_matmul; }

// Per-thread fp32 scratch for the converted operands of the fp32 path of the bf16 matmuls.
float* scratch_floats(std::vector<float>& buf, std::int64_t n) {
  if (buf.size() < static_cast<std::size_t>(n)) buf.resize(static_cast<std::size_t>(n));
  return buf.data();
}

// oneDNN parallelises with OpenMP over omp_get_max_threads() of the calling thread. Our threads
// belong to the caller's oneTBB scheduler, so each calling thread gets an OpenMP team of one
// (otherwise every TBB worker would start its own pool of spinning OpenMP threads).
void pin_openmp_to_calling_thread() {
  if (omp_get_max_threads() != 1) omp_set_num_threads(1);
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(context().engine);
  return stream;
}

void run(const Key& key, const void* a, const void* b, void* c) {
  if (key.m == 0 || key.n == 0) return;
  pin_openmp_to_calling_thread();
  Context& ctx = context();
  const Entry& e = ctx.cache.get(key, ctx.engine);

  dnnl::stream& stream = thread_stream();
  thread_local std::vector<std::uint8_t> scratch;
  if (scratch.size() < e.scratchpad.get_size()) scratch.resize(e.scratchpad.get_size());

  const auto& eng = ctx.engine;
  dnnl::memory a_mem(e.src, eng, const_cast<void*>(a));
  dnnl::memory b_mem(e.weights, eng, const_cast<void*>(b));
  dnnl::memory c_mem(e.dst, eng, c);
  dnnl::memory s_mem(e.scratchpad, eng, scratch.data());
  e.prim.execute(stream, {{DNNL_ARG_SRC, a_mem},
                          {DNNL_ARG_WEIGHTS, b_mem},
                          {DNNL_ARG_DST, c_mem},
                          {DNNL_ARG_SCRATCHPAD, s_mem}});
  stream.wait();
}

}  // namespace

// native_bf16(): the bf16 weight in oneDNN's blocked layout (desc = packed_weight_desc(n, k)).
// Otherwise the same bf16 values as a plain fp32 [n, k] matrix, for the fp32 matmul path.
struct PackedWeight::Impl {
  bool bf16 = true;
  dnnl::memory::desc desc;
  std::vector<std::uint8_t> data;
};

PackedWeight::PackedWeight() = default;
PackedWeight::PackedWeight(PackedWeight&&) noexcept = default;
PackedWeight& PackedWeight::operator=(PackedWeight&&) noexcept = default;
PackedWeight::~PackedWeight() = default;

PackedWeight::PackedWeight(const float* w, std::int64_t n, std::int64_t k)
    : n_(n), k_(k), impl_(std::make_unique<Impl>()) {
  impl_->bf16 = native_bf16();
  if (impl_->bf16) {
    impl_->desc = packed_weight_desc(n, k, context().engine);
    impl_->data.resize(impl_->desc.get_size());
  } else {
    impl_->data.resize(sizeof(float) * n * k);
  }
  repack(w);
}

const void* PackedWeight::packed_data() const { return impl_ ? impl_->data.data() : nullptr; }

void PackedWeight::repack(const float* w) {
  if (!impl_) return;  // default-constructed: nothing to pack
  if (!impl_->bf16) {
    float* dst = reinterpret_cast<float*>(impl_->data.data());
    std::memcpy(dst, w, sizeof(float) * n_ * k_);
    round_bf16(dst, n_ * k_);
    return;
  }
  // Round with PyTorch's bf16 conversion first; the reorder into the blocked layout then only
  // moves bits.
  std::vector<bf16> plain(static_cast<std::size_t>(n_ * k_));
  to_bf16(w, plain.data(), n_ * k_);
  pin_openmp_to_calling_thread();
  const auto& eng = context().engine;
  dnnl::memory src(matrix_desc(k_, n_, dt::bf16, /*transposed=*/true), eng, plain.data());
  dnnl::memory dst(impl_->desc, eng, impl_->data.data());
  dnnl::stream& stream = thread_stream();
  dnnl::reorder(src, dst).execute(stream, src, dst);
  stream.wait();
}

void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          const float* a, const float* b, float* c, bool accumulate) {
  if (k == 0) {  // empty sum: oneDNN rejects zero-sized K
    if (!accumulate) std::memset(c, 0, sizeof(float) * m * n);
    return;
  }
  run(Key{m, n, k, dt::f32, dt::f32, dt::f32, trans_a, trans_b, accumulate, false}, a, b, c);
}

void linear(const float* x, const float* w, float* y, std::int64_t m, std::int64_t n,
            std::int64_t k, bool accumulate) {
  gemm(false, true, m, n, k, x, w, y, accumulate);
}

void linear(const bf16* x, const PackedWeight& w, float* y, std::int64_t m, bool accumulate) {
  if (!native_bf16()) {
    thread_local std::vector<float> xs;
    float* xf = scratch_floats(xs, m * w.k());
    to_float(x, xf, m * w.k());
    return linear(xf, static_cast<const float*>(w.packed_data()), y, m, w.n(), w.k(), accumulate);
  }
  run(Key{m, w.n(), w.k(), dt::bf16, dt::bf16, dt::f32, false, true, accumulate, true}, x,
      w.packed_data(), y);
}

void linear(const bf16* x, const PackedWeight& w, bf16* y, std::int64_t m, bool accumulate) {
  if (!native_bf16()) {
    // fp32 result (plus the old y when accumulating), rounded to bf16 once as oneDNN does.
    thread_local std::vector<float> ys;
    float* yf = scratch_floats(ys, m * w.n());
    if (accumulate) to_float(y, yf, m * w.n());
    linear(x, w, yf, m, accumulate);
    to_bf16(yf, y, m * w.n());
    return;
  }
  run(Key{m, w.n(), w.k(), dt::bf16, dt::bf16, dt::bf16, false, true, accumulate, true}, x,
      w.packed_data(), y);
}

void linear_backward_input(const float* dy, const float* w, float* dx, std::int64_t m,
                           std::int64_t n, std::int64_t k, bool accumulate) {
  gemm(false, false, m, k, n, dy, w, dx, accumulate);
}

void linear_backward_weight(const float* dy, const float* x, float* dw, std::int64_t m,
                            std::int64_t n, std::int64_t k) {
  gemm(true, false, n, k, m, dy, x, dw, true);
}

std::size_t matmul_cache_size() { return context().cache.size(); }

namespace detail {

bool onednn_has_vnni() {
  (void)context();  // HRM_CPU_TARGET's ceiling first
  const auto have = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto has = [have](dnnl::cpu_isa isa) { return (have & static_cast<unsigned>(isa)) == static_cast<unsigned>(isa); };
  return has(dnnl::cpu_isa::avx512_core_vnni) || has(dnnl::cpu_isa::avx2_vnni);
}

std::vector<std::int8_t> onednn_pack_s8(const std::int8_t* w, std::int64_t n, std::int64_t kp) {
  pin_openmp_to_calling_thread();
  const auto& eng = context().engine;
  const auto desc = packed_weight_desc(n, kp, eng, /*int8=*/true);
  std::vector<std::int8_t> out(desc.get_size());
  dnnl::memory src(matrix_desc(kp, n, dt::s8, /*transposed=*/true), eng, const_cast<std::int8_t*>(w));
  dnnl::memory dst(desc, eng, out.data());
  dnnl::stream& stream = thread_stream();
  dnnl::reorder(src, dst).execute(stream, src, dst);
  stream.wait();
  return out;
}

void onednn_matmul_u8s8s32(const std::uint8_t* a, const std::int8_t* packed_b, std::int32_t* c, std::int64_t m,
                           std::int64_t n, std::int64_t kp) {
  run(Key{m, n, kp, dt::u8, dt::s8, dt::s32, false, true, false, true}, a, packed_b, c);
}

bool configure_matmul(std::int64_t forced_target) {
  using isa = dnnl::cpu_isa;
  // A forced target stands for a CPU class: oneDNN gets the same ceiling (SSE4.1 is its lowest
  // level; below it, on a CPU without SSE4.1, oneDNN runs its reference kernels).
  isa ceiling = isa::all;
#if HWY_ARCH_X86
  if (forced_target == HWY_AVX2)
    ceiling = isa::avx2;
  else if (forced_target != 0 && forced_target != HWY_AVX3 && forced_target != HWY_AVX3_DL)
    ceiling = isa::sse41;
#endif
  if (ceiling != isa::all) {
    try {
      dnnl::set_max_cpu_isa(ceiling);
    } catch (const dnnl::error&) {
      // Already set (another copy of the kernels in this process did, with the same value) or
      // oneDNN was used before: the ceiling in force stays.
    }
  }
  const auto have = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto avx512 = static_cast<unsigned>(isa::avx512_core);
  return (have & avx512) == avx512;
}

}  // namespace detail

}  // namespace hrm::kernels
