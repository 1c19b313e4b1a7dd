// The bundled models on emulated CPUs (label qemu): `hrm solve` under qemu-x86_64-static with
// -cpu Haswell (AVX2 + FMA, no AVX-512) and -cpu qemu64 (baseline x86-64: SSE2/SSE3, no SSSE3, so the
// kernels run their SCALAR target and oneDNN its non-JIT code) must solve a slice of each held-out
// set at least as well as this host does with the same policy, and never die by SIGILL. Emulation
// is slow (8-35 s per puzzle on one thread: oneDNN's reference code under qemu64, AVX under
// Haswell), hence slices of 2-4 puzzles and one thread, about a minute per case. Under -cpu Haswell oneDNN is capped at SSE4.1
// (ONEDNN_MAX_CPU_ISA): qemu 7.2 runs its AVX2 JIT code about 12x slower than its SSE4.1 code
// (106 s against 8 s for one Sudoku), and oneDNN's AVX2 kernels run natively in every other test on
// an AVX2 host; the kernels still dispatch to AVX2 there. Skipped when qemu-x86_64-static is absent.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "bundled.hpp"

namespace fs = std::filesystem;

namespace {

struct Case {
    const char *task;
    const char *cpu;   // qemu's -cpu model
    int puzzles;
};

std::string environment(const Case &c) {
    return std::string(c.cpu) == "Haswell" ? "ONEDNN_MAX_CPU_ISA=SSE41 " : "";
}

std::string qemu() {
    const char *env = std::getenv("HRM_QEMU_X86_64");   // override for unusual installs
    if (env && *env) return env;
    return test_shell::run("command -v qemu-x86_64-static").output.empty() ? "" : "qemu-x86_64-static";
}

void PrintTo(const Case &c, std::ostream *os) { *os << c.task << " -cpu " << c.cpu << " x" << c.puzzles; }

class Qemu : public ::testing::TestWithParam<Case> {};

TEST_P(Qemu, SolvesHeldOutSliceAsTheHostDoes) {
    const Case c = GetParam();
    const std::string emulator = qemu();
    // CTest reports this test as skipped on this message (SKIP_REGULAR_EXPRESSION).
    if (emulator.empty()) GTEST_SKIP() << "qemu-x86_64-static not found (Debian package qemu-user-static)";
    const fs::path heldout = fs::path(HRM_MODELS_DIR) / (std::string(c.task) + "-heldout.txt");
    ASSERT_TRUE(fs::exists(heldout)) << heldout;
    const fs::path dir = bundled::scratch(std::string("qemu-") + c.task + "-" + c.cpu);
    std::ofstream(dir / "puzzles.txt") << bundled::head_records(heldout, c.puzzles);
    const std::string args = std::string("solve --task ") + c.task + " --policy verify --threads 1 --input " +
                             (dir / "puzzles.txt").string() + " -o ";

    const bundled::Result host = bundled::run(args + (dir / "host.jsonl").string());
    ASSERT_EQ(host.code, 0) << host.output;
    const bundled::Result emu =
        bundled::run(args + (dir / "emu.jsonl").string(), true, environment(c) + emulator + " -cpu " + c.cpu);
    ASSERT_EQ(emu.code, 0) << emu.output;   // a SIGILL would show as -1 here
    const bundled::Solved h = bundled::read_solved(dir / "host.jsonl"), e = bundled::read_solved(dir / "emu.jsonl");
    EXPECT_EQ(e.lines, c.puzzles);
    EXPECT_EQ(e.errors, 0) << test_shell::slurp(dir / "emu.jsonl");
    EXPECT_GE(e.verified, h.verified) << "host " << h.verified << ", qemu -cpu " << c.cpu << " " << e.verified << " of "
                                      << c.puzzles << "\n"
                                      << emu.output;
    std::printf("[qemu] %s -cpu %s: %d of %d solved (host %d)\n", c.task, c.cpu, e.verified, c.puzzles, h.verified);
}

INSTANTIATE_TEST_SUITE_P(Models, Qemu,
                         ::testing::Values(Case{"sudoku", "Haswell", 4}, Case{"sudoku", "qemu64", 4},
                                           Case{"maze", "Haswell", 2}, Case{"maze", "qemu64", 2},
                                           Case{"gridnav", "Haswell", 2}, Case{"gridnav", "qemu64", 2}),
                         [](const auto &info) { return std::string(info.param.task) + "_" + info.param.cpu; });

}  // namespace
