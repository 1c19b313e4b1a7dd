// The compute peak of this CPU for the kernels' precisions, measured, never assumed: the same
// model of CPU runs bf16 at a different rate per cycle from one generation to the next (Zen 4 vs
// Zen 5), and clocks differ between hosts. Each peak is a tight loop of independent register-only
// instructions (the widest the run-time dispatch would use: HRM_CPU_TARGET lowers it like every
// kernel), enough of them per iteration to cover the instruction's latency on every pipe.
//   fp32: VFMADD231PS zmm (AVX3 targets), ymm (AVX2), or SSE MULPS + ADDPS below AVX2
//   bf16: VDPBF16PS zmm where bf16 matmuls run natively (cpu_target().bf16_dot)
//   int8: VPDPBUSD zmm (AVX512-VNNI) or ymm (AVX-VNNI), as oneDNN's int8 matmul would use
// A precision the CPU has no instruction for is "not supported" (an empty instruction name): the
// loop never runs an instruction the CPU lacks.
#pragma once

#include <string>
#include <vector>

namespace hrm::kernels {

enum class PeakPrecision { fp32, bf16, int8 };

// "fp32", "bf16", "int8".
const char* peak_precision_name(PeakPrecision p);

// The instruction of p's peak loop here, e.g. "AVX-512 VFMADD231PS zmm"; "" when not supported.
// Throws like cpu_target() for a bad HRM_CPU_TARGET.
std::string peak_instruction(PeakPrecision p);

// Median and range of repeated measurements.
struct Spread {
  double median = 0, min = 0, max = 0;
};
Spread spread_of(std::vector<double> values);

// GFLOP/s (GOP/s for int8) of `threads` threads running p's loop at the same time, each pinned to
// its own CPU of the process's affinity mask (wrapping around when there are more threads): the
// operations of all threads over the wall time from their common start to the last one's end.
// `repeats` timings of about `seconds` each; all zero when p is not supported.
Spread measure_peak(PeakPrecision p, int threads, int repeats = 5, double seconds = 0.02);

}  // namespace hrm::kernels
