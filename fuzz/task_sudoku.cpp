// Sudoku instances in every format the plugin reads (puzzle lines, sudoku-extreme CSV rows with
// answers, JSON grids), through the plugin's C API. First byte: the class (sudoku, sudoku4,
// sudoku6, sudoku16); the rest is a puzzle file.
#include "plugin_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    hrm::fuzz::fuzz_task("hrm-task-sudoku.so", {"sudoku", "sudoku4", "sudoku6", "sudoku16"}, data, size);
    return 0;
}
