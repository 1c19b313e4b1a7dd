// Helpers of the bundled-model tests (test_bundled.cpp, test_qemu.cpp): the runner with the build
// tree's plugins, scratch folders and the first records of a held-out file.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "shell.hpp"

namespace bundled {

namespace fs = std::filesystem;
using test_shell::Result;

// Runs hrm with the build tree's plugins, through `launcher` (by default the cross-compiling
// emulator, HRM_TEST_LAUNCHER: empty natively); stdout (and stderr, when asked) captured.
inline Result run(const std::string &args, bool with_stderr = true, const std::string &launcher = HRM_TEST_LAUNCHER) {
    return test_shell::run("HRM_PLUGIN_PATH=" HRM_PLUGIN_DIR " " + (launcher.empty() ? "" : launcher + " ") + HRM_RUNNER +
                           " " + args + (with_stderr ? " 2>&1" : ""));
}

inline fs::path scratch(const std::string &name) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("hrm-bundled-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

// The first n records of a held-out file: lines, or blocks separated by an empty line when the
// task's records span several lines (as `hrm dataset build --save-test` writes them).
inline std::string head_records(const fs::path &file, int n) {
    std::ifstream in(file);
    std::ostringstream all;
    all << in.rdbuf();
    const std::string text = all.str();
    const std::string sep = text.find("\n\n") != std::string::npos ? "\n\n" : "\n";
    size_t end = 0;
    for (int i = 0; i < n && end < text.size(); ++i) {
        const size_t next = text.find(sep, end);
        end = next == std::string::npos ? text.size() : next + sep.size();
    }
    return text.substr(0, end);
}

// What `hrm solve -o FILE` wrote: one JSON line per puzzle.
struct Solved {
    int lines = 0, verified = 0, errors = 0;
};

inline Solved read_solved(const fs::path &file) {
    Solved s;
    std::ifstream out(file);
    for (std::string line; std::getline(out, line);) {
        ++s.lines;
        s.errors += line.find("\"error\"") != std::string::npos;
        s.verified += line.find("\"verified\": true") != std::string::npos;
    }
    return s;
}

}  // namespace bundled
