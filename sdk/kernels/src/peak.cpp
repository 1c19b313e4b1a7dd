// The peak loops (peak.hpp). They are inline assembly, not intrinsics: the point is exactly N
// independent register-only instructions per iteration, and a compiler is free to spill an array
// of 20 accumulators or to interleave loads. Each loop is compiled with the target attribute of
// its instructions only, and runs only when the run-time selection (cpu_target(), oneDNN's
// effective ISA) says the CPU has them.
#include "hrm/kernels/peak.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <hwy/highway.h>

#include "dispatch.hpp"
#include "hrm/kernels/cpu.hpp"

#if HWY_ARCH_X86 && defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace hrm::kernels {
namespace {

using Clock = std::chrono::steady_clock;

// One loop: `run(iters)` executes it; each iteration does `ops_per_iter` operations.
struct Loop {
  std::string instruction;  // "" = not supported here
  void (*run)(std::int64_t) = nullptr;
  double ops_per_iter = 0;
};

#if HWY_ARCH_X86

// 20 chains, the accumulators in registers 0-19 and the two sources in 20 and 21 (32 vector
// registers with AVX-512): 20 in flight covers a latency of 5-6 cycles on 2-3 pipes. Every register
// starts at zero, so no denormals and no overflow: the rate does not depend on the values.
#define HRM_X20(OP)                                                                                           \
  OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11) OP(12) OP(13) OP(14) OP(15) OP(16) \
  OP(17) OP(18) OP(19)
// Without AVX-512 there are 16 vector registers: 14 chains, sources in 14 and 15 (covers a
// latency of 4-5 cycles on 2 pipes, the AVX2 FMA and AVX-VNNI units we know).
#define HRM_X14(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11) OP(12) OP(13)

#define HRM_ZMM_CLOBBERS                                                                                          \
  "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10", "zmm11", "zmm12", "zmm13", \
      "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21"
#define HRM_YMM_CLOBBERS                                                                                        \
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", \
      "xmm14", "xmm15"

#define HRM_ZERO_ZMM(i) "vpxord %%zmm" #i ", %%zmm" #i ", %%zmm" #i "\n\t"
#define HRM_ZERO_YMM(i) "vpxor %%ymm" #i ", %%ymm" #i ", %%ymm" #i "\n\t"
#define HRM_ZERO_XMM(i) "pxor %%xmm" #i ", %%xmm" #i "\n\t"

#define HRM_FMA_ZMM(i) "vfmadd231ps %%zmm20, %%zmm21, %%zmm" #i "\n\t"
#define HRM_DPBF16_ZMM(i) "vdpbf16ps %%zmm20, %%zmm21, %%zmm" #i "\n\t"
#define HRM_DPBUSD_ZMM(i) "vpdpbusd %%zmm20, %%zmm21, %%zmm" #i "\n\t"
#define HRM_FMA_YMM(i) "vfmadd231ps %%ymm14, %%ymm15, %%ymm" #i "\n\t"
// (%{ %} escape the braces of the {vex} prefix, which asks for the AVX-VNNI encoding, from GCC.)
#define HRM_DPBUSD_YMM(i) "%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm" #i "\n\t"
// SSE has no FMA: a multiply then an add on each chain, one operation per lane each.
#define HRM_MULADD_XMM(i) "mulps %%xmm14, %%xmm" #i "\n\t" "addps %%xmm15, %%xmm" #i "\n\t"

// The counter is a register operand; the loop body is the instruction list, then dec + jnz.
// The AVX loops end with vzeroupper, as compiled AVX code does, so that SSE code after them runs
// without the transition penalty of dirty upper halves.
#define HRM_PEAK_LOOP(ZERO, BODY, END, CLOBBERS) \
  asm volatile(ZERO "1:\n\t" BODY "dec %0\n\t" \
                    "jnz 1b\n\t" END             \
               : "+r"(iters)                     \
               :                                 \
               : CLOBBERS, "cc")

__attribute__((target("avx512f"))) void fma_zmm(std::int64_t iters) {
  HRM_PEAK_LOOP(HRM_X20(HRM_ZERO_ZMM) HRM_ZERO_ZMM(20) HRM_ZERO_ZMM(21), HRM_X20(HRM_FMA_ZMM), "vzeroupper", HRM_ZMM_CLOBBERS);
}
__attribute__((target("avx512f,avx512bf16"))) void dpbf16_zmm(std::int64_t iters) {
  HRM_PEAK_LOOP(HRM_X20(HRM_ZERO_ZMM) HRM_ZERO_ZMM(20) HRM_ZERO_ZMM(21), HRM_X20(HRM_DPBF16_ZMM), "vzeroupper", HRM_ZMM_CLOBBERS);
}
__attribute__((target("avx512f,avx512vnni"))) void dpbusd_zmm(std::int64_t iters) {
  HRM_PEAK_LOOP(HRM_X20(HRM_ZERO_ZMM) HRM_ZERO_ZMM(20) HRM_ZERO_ZMM(21), HRM_X20(HRM_DPBUSD_ZMM), "vzeroupper", HRM_ZMM_CLOBBERS);
}
__attribute__((target("avx2,fma"))) void fma_ymm(std::int64_t iters) {
  HRM_PEAK_LOOP(HRM_X14(HRM_ZERO_YMM) HRM_ZERO_YMM(14) HRM_ZERO_YMM(15), HRM_X14(HRM_FMA_YMM), "vzeroupper", HRM_YMM_CLOBBERS);
}
__attribute__((target("avx2,avxvnni"))) void dpbusd_ymm(std::int64_t iters) {
  HRM_PEAK_LOOP(HRM_X14(HRM_ZERO_YMM) HRM_ZERO_YMM(14) HRM_ZERO_YMM(15), HRM_X14(HRM_DPBUSD_YMM), "vzeroupper", HRM_YMM_CLOBBERS);
}
// 14 chains of a dependent multiply + add: 28 instructions per iteration keep the 2 multiply and
// 2 add pipes busy (the chain's 2 latencies, 6-8 cycles, are below the 7 cycles of issue).
void muladd_xmm(std::int64_t iters) {
  HRM_PEAK_LOOP(HRM_X14(HRM_ZERO_XMM) HRM_ZERO_XMM(14) HRM_ZERO_XMM(15), HRM_X14(HRM_MULADD_XMM), "", HRM_YMM_CLOBBERS);
}

bool avx512_target() { return cpu_target().name.rfind("AVX3", 0) == 0; }

Loop loop_of(PeakPrecision p) {
  switch (p) {
    case PeakPrecision::fp32:
      if (avx512_target()) return {"AVX-512 VFMADD231PS zmm", fma_zmm, 20 * 16 * 2};
      if (cpu_target().name == "AVX2") return {"AVX2 VFMADD231PS ymm", fma_ymm, 14 * 8 * 2};
      // Every x86-64 CPU has SSE2: the fp32 matmuls of the lower targets are SSE kernels.
      return {"SSE MULPS + ADDPS xmm", muladd_xmm, 14 * 2 * 4};
    case PeakPrecision::bf16:
      // Only AVX512-BF16 multiplies bf16 natively; elsewhere bf16 matmuls run as fp32 ones.
      if (cpu_target().bf16_dot) return {"AVX512-BF16 VDPBF16PS zmm", dpbf16_zmm, 20 * 32 * 2};
      return {};
    case PeakPrecision::int8:
      // What oneDNN's u8s8s32 matmul uses (HRM_CPU_TARGET caps its ISA too): 4 products per lane.
      if (!detail::onednn_has_vnni()) return {};
      if (avx512_target()) return {"AVX512-VNNI VPDPBUSD zmm", dpbusd_zmm, 20 * 64 * 2};
      return {"AVX-VNNI VPDPBUSD ymm", dpbusd_ymm, 14 * 32 * 2};
  }
  return {};
}

// Pins the calling thread to the i-th CPU of the process's affinity mask (modulo its size), so
// that N threads measure N different cores rather than wherever the OS puts them.
void pin_to_nth_cpu(int i) {
#ifdef __linux__
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  const int n = CPU_COUNT(&allowed);
  if (n == 0) return;
  int want = i % n;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed) || want-- != 0) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    return;
  }
#else
  (void)i;
#endif
}

#else  // not x86: no peak loops written for this architecture yet

Loop loop_of(PeakPrecision) { return {}; }
void pin_to_nth_cpu(int) {}

#endif

// Seconds for `threads` threads to run `iters` iterations each, from a common start.
double time_threads(const Loop& loop, int threads, std::int64_t iters) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      pin_to_nth_cpu(t);
      ++ready;
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      loop.run(iters);
    });
  while (ready.load() < threads) std::this_thread::yield();
  const auto t0 = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

const char* peak_precision_name(PeakPrecision p) {
  switch (p) {
    case PeakPrecision::fp32: return "fp32";
    case PeakPrecision::bf16: return "bf16";
    case PeakPrecision::int8: return "int8";
  }
  return "?";
}

std::string peak_instruction(PeakPrecision p) { return loop_of(p).instruction; }

Spread spread_of(std::vector<double> v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

Spread measure_peak(PeakPrecision p, int threads, int repeats, double seconds) {
  const Loop loop = loop_of(p);
  if (loop.instruction.empty()) return {};
  threads = std::max(threads, 1);
  // Calibrate on one thread (this also brings the core out of any low-power state), then size
  // each timing to about `seconds`.
  std::int64_t iters = 10000;
  for (double t = time_threads(loop, 1, iters); t < seconds / 4; t = time_threads(loop, 1, iters)) iters *= 4;
  iters = std::max<std::int64_t>(1000, std::int64_t(double(iters) * seconds / time_threads(loop, 1, iters)));
  std::vector<double> rates;
  for (int r = 0; r < std::max(repeats, 1); ++r)
    rates.push_back(loop.ops_per_iter * double(iters) * threads / time_threads(loop, threads, iters) / 1e9);
  return spread_of(rates);
}

}  // namespace hrm::kernels
