// hrm_target_run TARGET COMMAND [ARGS...]: runs COMMAND with HRM_CPU_TARGET=TARGET when this CPU
// can run that target, else exits 77, which CTest counts as skipped (SKIP_RETURN_CODE): the
// per-target test registrations (tests/CMakeLists.txt) use it so a target the CPU lacks is skipped,
// not failed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "hrm/kernels/cpu.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: hrm_target_run TARGET COMMAND [ARGS...]\n");
    return 2;
  }
  setenv("HRM_CPU_TARGET", argv[1], 1);
  try {
    const hrm::kernels::CpuTarget& t = hrm::kernels::cpu_target();
    std::printf("HRM_CPU_TARGET=%s: the kernels dispatch to %s\n", argv[1], t.name.c_str());
  } catch (const hrm::kernels::UnsupportedCpu& e) {
    std::printf("skipped: %s\n", e.what());
    return 77;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hrm_target_run: %s\n", e.what());
    return 2;
  }
  std::fflush(stdout);
  execvp(argv[2], argv + 2);
  std::perror(argv[2]);
  return 2;
}
