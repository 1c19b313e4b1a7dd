// Target selection for the Highway-dispatched kernels (cpu.hpp): HRM_CPU_TARGET is applied once,
// before the first dispatch, by restricting the targets Highway considers supported.
#include "hrm/kernels/cpu.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <hwy/highway.h>
#include <hwy/targets.h>

#include "dispatch.hpp"

#if HWY_ARCH_X86
#include <cpuid.h>
#endif

namespace hrm::kernels {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Each target bit of `targets`, best (lowest bit) first.
std::vector<std::int64_t> bits(std::int64_t targets) {
  std::vector<std::int64_t> out;
  for (; targets != 0; targets &= targets - 1) out.push_back(targets & -targets);
  return out;
}

std::string names(std::int64_t targets, const char* sep) {
  std::string out;
  for (std::int64_t t : bits(targets)) out += (out.empty() ? "" : sep) + std::string(hwy::TargetName(t));
  return out;
}

// The portable fallback compiled here: Highway uses SCALAR instead of EMU128 with GCC < 12.3.
constexpr std::int64_t kFallback = HWY_TARGETS & (HWY_EMU128 | HWY_SCALAR);

// The compiled target bit for an HRM_CPU_TARGET value, 0 for "best", -1 when it names none.
std::int64_t parse_target(const std::string& value) {
  const std::string v = lower(value);
  if (v.empty() || v == "best") return 0;
  if (v == "emu128" || v == "scalar") return kFallback & -kFallback;
  for (std::int64_t t : bits(HWY_TARGETS))
    if (v == lower(hwy::TargetName(t))) return t;
  return -1;
}

struct Selection {
  CpuTarget target;
  std::int64_t cpu_targets = 0;  // compiled targets this CPU runs
  std::string error;             // non-empty: HRM_CPU_TARGET is unusable
  bool error_is_name = false;    // the error is an unknown name (std::invalid_argument)
};

Selection select() {
  Selection s;
  // The CPU's own targets, without a restriction left by another copy of these kernels in the
  // process (each model plugin links its own): they all apply the same HRM_CPU_TARGET.
  hwy::SetSupportedTargetsForTest(0);
  s.cpu_targets = hwy::SupportedTargets() & HWY_TARGETS;
  const char* env = std::getenv("HRM_CPU_TARGET");
  s.target.forced = env ? env : "";
  const std::int64_t forced = parse_target(s.target.forced);
  if (forced < 0) {
    s.error = "HRM_CPU_TARGET=" + s.target.forced + " is not a target of this build; use one of: best " +
              lower(names(HWY_TARGETS, " ")) + (kFallback == HWY_SCALAR ? " emu128" : " scalar");
    s.error_is_name = true;
  } else if (forced != 0 && (forced & s.cpu_targets) == 0) {
    s.error = "HRM_CPU_TARGET=" + s.target.forced + ": this CPU does not support " +
              hwy::TargetName(forced) + " (it runs: " + names(s.cpu_targets, " ") + ")";
  }
  const std::int64_t chosen = s.error.empty() && forced != 0 ? forced : s.cpu_targets;
  if (forced > 0 && s.error.empty()) hwy::SetSupportedTargetsForTest(forced);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  const std::int64_t best = chosen & -chosen;
  s.target.name = hwy::TargetName(best);
  s.target.bf16_dot = (best == HWY_AVX3 || best == HWY_AVX3_DL) && detail::cpu_has_avx512_bf16();
  s.target.bf16_matmul = detail::configure_matmul(forced > 0 && s.error.empty() ? forced : 0);
  return s;
}

const Selection& selection() {
  static const Selection s = select();
  return s;
}

}  // namespace

namespace detail {

void apply_cpu_target() {
  const Selection& s = selection();
  if (HWY_UNLIKELY(!s.error.empty())) {
    if (s.error_is_name) throw std::invalid_argument(s.error);
    throw UnsupportedCpu(s.error);
  }
}

bool cpu_has_avx512_bf16() {
#if HWY_ARCH_X86
  // CPUID.(EAX=7, ECX=1):EAX bit 5. The OS support of the AVX-512 state was checked by Highway
  // before it dispatched to an AVX3 target, the only callers.
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5)) != 0;
  }();
  return has;
#else
  return false;
#endif
}

}  // namespace detail

const CpuTarget& cpu_target() {
  detail::apply_cpu_target();
  return selection().target;
}

std::string cpu_target_summary() {
  const Selection& s = selection();
  if (!s.error.empty()) return "error: " + s.error;
  std::string out = s.target.name;
  if (!s.target.forced.empty()) out += " (HRM_CPU_TARGET=" + s.target.forced + ")";
  out += "; CPU runs: " + names(s.cpu_targets, " ");
  out += s.target.bf16_dot ? "; bf16 attention: AVX512-BF16" : "; bf16 attention: fp32 emulation";
  out += s.target.bf16_matmul ? ", bf16 matmul: oneDNN bf16" : ", bf16 matmul: fp32";
  return out;
}

std::vector<std::string> cpu_targets_available() {
  std::vector<std::string> out;
  for (std::int64_t t : bits(selection().cpu_targets)) out.push_back(lower(hwy::TargetName(t)));
  return out;
}

}  // namespace hrm::kernels
