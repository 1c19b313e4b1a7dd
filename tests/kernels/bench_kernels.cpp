// bench_kernels: single-thread GFLOP/s of the hrm_kernels matmuls on HRM shapes, next to the same
// oneDNN matmul created and executed directly (plain layouts, no cache, no wrapper) as baseline,
// plus attention forward/backward throughput at the Sudoku (82) and Maze/ARC (901) lengths.
// Usage: bench_kernels [all|matmul|attention] [min_seconds_per_case]   (default all 0.3)
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <string>
#include <vector>

#include "hrm/kernels/kernels.hpp"

using namespace hrm::kernels;

namespace {

double min_seconds = 0.3;

// CPU time of the calling thread: everything runs on this thread, and unlike wall time it does
// not count the time the thread waits for a core on a shared machine.
double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Best time per call over repeated runs lasting at least min_seconds (after one warm-up).
double time_call(const std::function<void()>& fn) {
  fn();
  double best = 1e30, total = 0.0;
  int reps = 0;
  while (total < min_seconds || reps < 3) {
    const double t0 = thread_seconds();
    fn();
    const double dt = thread_seconds() - t0;
    best = std::min(best, dt);
    total += dt;
    ++reps;
  }
  return best;
}

std::vector<float> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Baseline: one oneDNN matmul primitive, Y = X·Wᵀ with W viewed [K,N] through strides, executed
// directly with pre-built memory objects (library-managed scratchpad).
struct DirectMatmul {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{eng};
  dnnl::matmul prim;
  dnnl::memory a, b, c;

  DirectMatmul(dnnl::memory::data_type in, dnnl::memory::data_type out, int64_t m, int64_t n,
               int64_t k, void* x, void* w, void* y) {
    using md = dnnl::memory::desc;
    const md a_md({m, k}, in, {k, 1}), b_md({k, n}, in, {1, k}), c_md({m, n}, out, {n, 1});
    prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), eng));
    a = dnnl::memory(a_md, eng, x);
    b = dnnl::memory(b_md, eng, w);
    c = dnnl::memory(c_md, eng, y);
  }
  void operator()() {
    prim.execute(stream, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    stream.wait();
  }
};

void bench_matmuls() {
  using dt = dnnl::memory::data_type;
  const int64_t shapes[][2] = {{1536, 512}, {512, 512}, {3072, 512}, {512, 1536}};
  std::vector<std::pair<int64_t, int64_t>> batches;  // (B, L)
  for (int64_t b : {1, 16, 64, 256}) batches.emplace_back(b, 82);
  for (int64_t b : {1, 16}) batches.emplace_back(b, 901);

  std::printf(
      "matmul Y[M,N] = X[M,K]·W[N,K]^T, 1 thread, GFLOP/s (ratio = hrm_kernels / direct oneDNN)\n");
  std::printf("%6s %5s %5s | %9s %9s %6s | %9s %9s %6s\n", "M", "N", "K", "fp32", "direct", "ratio",
              "bf16", "direct", "ratio");
  for (auto [batch, len] : batches) {
    const int64_t m = batch * len;
    for (auto [n, k] : shapes) {
      auto x = random_floats(m * k, 1), w = random_floats(n * k, 2);
      std::vector<float> y(m * n);
      std::vector<bf16> xb(m * k), wb(n * k), yb(m * n);
      to_bf16(x.data(), xb.data(), m * k);
      to_bf16(w.data(), wb.data(), n * k);
      PackedWeight pw(w.data(), n, k);
      const double flop = 2.0 * m * n * k;

      const double t32 = time_call([&] { linear(x.data(), w.data(), y.data(), m, n, k); });
      DirectMatmul d32(dt::f32, dt::f32, m, n, k, x.data(), w.data(), y.data());
      const double d32t = time_call(d32);
      const double t16 = time_call([&] { linear(xb.data(), pw, yb.data(), m); });
      DirectMatmul d16(dt::bf16, dt::bf16, m, n, k, xb.data(), wb.data(), yb.data());
      const double d16t = time_call(d16);
      std::printf("%6ld %5ld %5ld | %9.1f %9.1f %6.2f | %9.1f %9.1f %6.2f\n", long(m), long(n),
                  long(k), flop / t32 * 1e-9, flop / d32t * 1e-9, d32t / t32, flop / t16 * 1e-9,
                  flop / d16t * 1e-9, d16t / t16);
      std::fflush(stdout);
    }
  }
}

void bench_attention() {
  const int64_t heads = 8, dim = 64;
  std::printf(
      "\nattention (H=8, Dh=64), 1 thread; GFLOP/s counts 4·L²·Dh per head forward, "
      "10·L²·Dh backward\n");
  std::printf("%4s %4s | %10s %9s | %10s %9s | %10s %9s\n", "B", "L", "fp32 ms", "GFLOP/s",
              "bf16 ms", "GFLOP/s", "bwd ms", "GFLOP/s");
  for (auto [batch, len] : {std::pair<int64_t, int64_t>{16, 82}, {1, 901}}) {
    const int64_t n_qkv = batch * len * 3 * heads * dim, n_out = batch * len * heads * dim;
    auto qkv = random_floats(n_qkv, 3), dout = random_floats(n_out, 4);
    std::vector<float> out(n_out), lse(batch * heads * len), dqkv(n_qkv);
    std::vector<bf16> qkvb(n_qkv), outb(n_out);
    to_bf16(qkv.data(), qkvb.data(), n_qkv);
    const double flop = 4.0 * batch * heads * len * len * dim;

    const double t32 =
        time_call([&] { attention(qkv.data(), out.data(), batch, len, heads, dim, lse.data()); });
    const double t16 =
        time_call([&] { attention(qkvb.data(), outb.data(), batch, len, heads, dim); });
    const double tb = time_call([&] {
      attention_backward(qkv.data(), out.data(), dout.data(), lse.data(), dqkv.data(), batch, len,
                         heads, dim);
    });
    std::printf("%4ld %4ld | %10.3f %9.1f | %10.3f %9.1f | %10.3f %9.1f\n", long(batch), long(len),
                t32 * 1e3, flop / t32 * 1e-9, t16 * 1e3, flop / t16 * 1e-9, tb * 1e3,
                2.5 * flop / tb * 1e-9);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "all";
  if (argc > 2) min_seconds = std::atof(argv[2]);
  if (what != "all" && what != "matmul" && what != "attention") {
    std::fprintf(stderr, "usage: bench_kernels [all|matmul|attention] [min_seconds]\n");
    return 2;
  }
  omp_set_num_threads(1);  // the direct baseline runs single-threaded too
  if (what != "matmul") bench_attention();
  if (what != "attention") bench_matmuls();
}
