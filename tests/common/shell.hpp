// shell.hpp - for tests that drive the `hrm` runner as a user would: run a shell command line and
// get its exit code and standard output, and read a file whole.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace test_shell {

struct Result {
    int code;             // the exit status, or -1 if the command did not exit normally
    std::string output;   // what it wrote to stdout (add 2>&1 to the command for stderr)
};

inline Result run(const std::string &command) {
    FILE *pipe = popen(command.c_str(), "r");
    if (!pipe) return Result{-1, ""};
    std::string out;
    std::array<char, 4096> buf{};
    while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    const int status = pclose(pipe);
    return Result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline std::string slurp(const std::filesystem::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace test_shell
