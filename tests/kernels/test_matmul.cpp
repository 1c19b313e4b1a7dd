#include <dirent.h>
#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "hrm/kernels/matmul.hpp"
#include "test_util.hpp"

namespace hrm::kernels {
namespace {

using namespace test;

TEST(Matmul, Fp32LinearAndAccumulate) {
  const int64_t m = 37, n = 96, k = 130;
  auto x = random_floats(m * k, 1), w = random_floats(n * k, 2), y0 = random_floats(m * n, 3);
  const Vec ref = ref_linear(to_double(x), to_double(w), m, n, k);

  std::vector<float> y(m * n);
  linear(x.data(), w.data(), y.data(), m, n, k);
  EXPECT_LT(max_rel_error(y, ref), 1e-5);
  const std::size_t cached = matmul_cache_size();
  linear(x.data(), w.data(), y.data(), m, n, k);  // same shape: the primitive is reused
  EXPECT_EQ(matmul_cache_size(), cached);

  std::vector<float> acc = y0;
  linear(x.data(), w.data(), acc.data(), m, n, k, /*accumulate=*/true);
  Vec ref_acc = ref;
  for (size_t i = 0; i < ref.size(); ++i) ref_acc[i] += y0[i];
  EXPECT_LT(max_rel_error(acc, ref_acc), 1e-5);
}

// bf16 inputs are exact in fp32, so with fp32 accumulation the fp32 output matches the double
// product of the bf16 values to fp32 accuracy; a bf16 output adds one rounding (≤ 2^-8 relative).
TEST(Matmul, Bf16LinearFp32AndBf16Output) {
  const int64_t m = 82, n = 64, k = 512;
  auto xf = random_floats(m * k, 4), wf = random_floats(n * k, 5);
  auto x = to_bf16(xf);
  PackedWeight w(wf.data(), n, k);
  const Vec ref = ref_linear(to_double(x), to_double(to_bf16(wf)), m, n, k);

  std::vector<float> y(m * n);
  linear(x.data(), w, y.data(), m);
  EXPECT_LT(max_rel_error(y, ref), 1e-5);

  std::vector<bf16> yb(m * n);
  linear(x.data(), w, yb.data(), m);
  EXPECT_LE(max_elementwise_excess(yb, ref, 1.0 / 256, 1e-4), 1.0);

  // Accumulation into a bf16 output: bf16(acc + y).
  std::vector<bf16> yacc = to_bf16(random_floats(m * n, 6));
  Vec ref_acc = ref;
  for (int64_t i = 0; i < m * n; ++i) ref_acc[i] += to_float(yacc[i]);
  linear(x.data(), w, yacc.data(), m, /*accumulate=*/true);
  EXPECT_LE(max_elementwise_excess(yacc, ref_acc, 1.0 / 256, 1e-4), 1.0);
}

// The packed (blocked, padded) layout must work for every weight shape, including the tiny
// q_head [2, 512] and lm_head [V, 512] ones, survive a move and follow repack().
TEST(Matmul, PackedWeightShapesMoveAndRepack) {
  const int64_t m = 5;
  for (auto [n, k] : {std::pair<int64_t, int64_t>{16, 32}, {2, 512}, {11, 512}, {7, 37}}) {
    auto x = to_bf16(random_floats(m * k, 7));
    auto w1 = random_floats(n * k, 8), w2 = random_floats(n * k, 9);
    PackedWeight first(w1.data(), n, k);
    PackedWeight w = std::move(first);
    std::vector<float> y(m * n);
    linear(x.data(), w, y.data(), m);
    EXPECT_LT(max_rel_error(y, ref_linear(to_double(x), to_double(to_bf16(w1)), m, n, k)), 1e-5);
    w.repack(w2.data());
    linear(x.data(), w, y.data(), m);
    EXPECT_LT(max_rel_error(y, ref_linear(to_double(x), to_double(to_bf16(w2)), m, n, k)), 1e-5);
  }
}

TEST(Matmul, BackwardHelpers) {
  const int64_t m = 19, n = 24, k = 40;
  auto dy = random_floats(m * n, 10), w = random_floats(n * k, 11), x = random_floats(m * k, 12);
  // dX = dY·W
  Vec ref_dx(m * k, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) ref_dx[i * k + p] += double(dy[i * n + j]) * w[j * k + p];
  std::vector<float> dx(m * k);
  linear_backward_input(dy.data(), w.data(), dx.data(), m, n, k);
  EXPECT_LT(max_rel_error(dx, ref_dx), 1e-5);

  // dW += dY^T·X, starting from a non-zero gradient
  auto dw = random_floats(n * k, 13);
  Vec ref_dw = to_double(dw);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t i = 0; i < m; ++i) ref_dw[j * k + p] += double(dy[i * n + j]) * x[i * k + p];
  linear_backward_weight(dy.data(), x.data(), dw.data(), m, n, k);
  EXPECT_LT(max_rel_error(dw, ref_dw), 1e-5);
}

TEST(Matmul, GemmAllTransposes) {
  const int64_t m = 7, n = 9, k = 11;
  auto a = random_floats(m * k, 14), b = random_floats(k * n, 15);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Vec ref(m * n, 0.0);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          for (int64_t p = 0; p < k; ++p)
            ref[i * n + j] +=
                double(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      std::vector<float> c(m * n);
      gemm(ta, tb, m, n, k, a.data(), b.data(), c.data(), false);
      EXPECT_LT(max_rel_error(c, ref), 1e-5) << ta << tb;
    }
}

int thread_count() {
  int n = 0;
  DIR* d = opendir("/proc/self/task");
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

// Two TBB worker threads call the same cached primitives concurrently; results must be right
// and oneDNN must not start OpenMP threads of its own.
TEST(Matmul, ConcurrentCallsFromTbbThreads) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
  const int64_t m = 64, n = 128, k = 96;
  auto x = random_floats(m * k, 16), w = random_floats(n * k, 17);
  const Vec ref = ref_linear(to_double(x), to_double(w), m, n, k);
  PackedWeight wb(w.data(), n, k);
  auto xb = to_bf16(x);

  // Start the TBB worker before counting threads.
  tbb::parallel_for(0, 2, [](int) { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
  const int before = thread_count();

  constexpr int kTasks = 2;
  std::atomic<int> started{0};
  std::vector<std::vector<float>> out(kTasks, std::vector<float>(m * n));
  std::vector<std::vector<float>> out_bf(kTasks, std::vector<float>(m * n));
  tbb::parallel_for(0, kTasks, [&](int t) {
    // Rendezvous (bounded) so both tasks really overlap on two threads.
    ++started;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (started < kTasks && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    for (int rep = 0; rep < 20; ++rep) {
      linear(x.data(), w.data(), out[t].data(), m, n, k);
      linear(xb.data(), wb, out_bf[t].data(), m);
    }
  });
  EXPECT_EQ(started.load(), kTasks);
  EXPECT_EQ(thread_count(), before) << "oneDNN started extra (OpenMP) threads";
  for (int t = 0; t < kTasks; ++t) {
    EXPECT_LT(max_rel_error(out[t], ref), 1e-5);
    EXPECT_LT(max_rel_error(out_bf[t], ref), 2e-2);  // bf16 inputs
  }
}

}  // namespace
}  // namespace hrm::kernels
