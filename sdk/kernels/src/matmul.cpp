#include "hrm/kernels/matmul.hpp"

#include <omp.h>

#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <shared_mutex>
#include <unordered_map>

namespace hrm::kernels {
namespace {

using dt = dnnl::memory::data_type;

// Everything that determines a oneDNN matmul primitive.
struct Key {
  std::int64_t m, n, k;
  dt a_type, b_type, c_type;
  bool trans_a, trans_b, accumulate;

  bool operator==(const Key& o) const {
    return m == o.m && n == o.n && k == o.k && a_type == o.a_type && b_type == o.b_type &&
           c_type == o.c_type && trans_a == o.trans_a && trans_b == o.trans_b &&
           accumulate == o.accumulate;
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
        std::size_t(key.trans_b) << 25 | std::size_t(key.accumulate) << 26);
    return h;
  }
};

struct Entry {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
};

// Row-major [rows, cols] matrix, or its transpose viewed through strides (no copy).
dnnl::memory::desc matrix_desc(std::int64_t rows, std::int64_t cols, dt type, bool transposed) {
  return transposed ? dnnl::memory::desc({rows, cols}, type, {1, rows})
                    : dnnl::memory::desc({rows, cols}, type, {cols, 1});
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
    auto entry = create(key, eng);  // outside the lock: primitive creation can take milliseconds
    std::unique_lock lock(mutex_);
    return *map_.try_emplace(key, std::move(entry)).first->second;
  }

  std::size_t size() {
    std::shared_lock lock(mutex_);
    return map_.size();
  }

 private:
  static std::unique_ptr<Entry> create(const Key& key, const dnnl::engine& eng) {
    // A is [M,K]; stored [K,M] when trans_a. B is [K,N]; stored [N,K] when trans_b.
    const auto a = matrix_desc(key.m, key.k, key.a_type, key.trans_a);
    const auto b = matrix_desc(key.k, key.n, key.b_type, key.trans_b);
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
    return std::make_unique<Entry>(Entry{pd, dnnl::matmul(pd)});
  }

  std::shared_mutex mutex_;
  std::unordered_map<Key, std::unique_ptr<Entry>, KeyHash> map_;
};

// One object so the cached primitives are destroyed before the engine they were created on.
struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  PrimitiveCache cache;
};

Context& context() {
  static Context ctx;
  return ctx;
}

// oneDNN parallelises with OpenMP over omp_get_max_threads() of the calling thread. Our threads
// belong to the caller's oneTBB scheduler, so each calling thread gets an OpenMP team of one
// (otherwise every TBB worker would start its own pool of spinning OpenMP threads).
void pin_openmp_to_calling_thread() {
  if (omp_get_max_threads() != 1) omp_set_num_threads(1);
}

void run(const Key& key, const void* a, const void* b, void* c) {
  if (key.m == 0 || key.n == 0) return;
  pin_openmp_to_calling_thread();
  Context& ctx = context();
  const Entry& e = ctx.cache.get(key, ctx.engine);

  thread_local dnnl::stream stream(ctx.engine);
  thread_local std::vector<std::uint8_t> scratch;
  const auto scratch_md = e.pd.scratchpad_desc();
  if (scratch.size() < scratch_md.get_size()) scratch.resize(scratch_md.get_size());

  const auto& eng = ctx.engine;
  dnnl::memory a_mem(e.pd.src_desc(), eng, const_cast<void*>(a));
  dnnl::memory b_mem(e.pd.weights_desc(), eng, const_cast<void*>(b));
  dnnl::memory c_mem(e.pd.dst_desc(), eng, c);
  dnnl::memory s_mem(scratch_md, eng, scratch.data());
  e.prim.execute(stream, {{DNNL_ARG_SRC, a_mem},
                          {DNNL_ARG_WEIGHTS, b_mem},
                          {DNNL_ARG_DST, c_mem},
                          {DNNL_ARG_SCRATCHPAD, s_mem}});
  stream.wait();
}

}  // namespace

PackedWeight::PackedWeight(const float* w, std::int64_t n, std::int64_t k)
    : n_(n), k_(k), data_(static_cast<std::size_t>(n * k)) {
  repack(w);
}

void PackedWeight::repack(const float* w) { to_bf16(w, data_.data(), n_ * k_); }

void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          const float* a, const float* b, float* c, bool accumulate) {
  if (k == 0) {  // empty sum: oneDNN rejects zero-sized K
    if (!accumulate) std::memset(c, 0, sizeof(float) * m * n);
    return;
  }
  run(Key{m, n, k, dt::f32, dt::f32, dt::f32, trans_a, trans_b, accumulate}, a, b, c);
}

void linear(const float* x, const float* w, float* y, std::int64_t m, std::int64_t n,
            std::int64_t k, bool accumulate) {
  gemm(false, true, m, n, k, x, w, y, accumulate);
}

void linear(const bf16* x, const PackedWeight& w, float* y, std::int64_t m, bool accumulate) {
  run(Key{m, w.n(), w.k(), dt::bf16, dt::bf16, dt::f32, false, true, accumulate}, x, w.data(), y);
}

void linear(const bf16* x, const PackedWeight& w, bf16* y, std::int64_t m, bool accumulate) {
  run(Key{m, w.n(), w.k(), dt::bf16, dt::bf16, dt::bf16, false, true, accumulate}, x, w.data(), y);
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

}  // namespace hrm::kernels
