// Maze instances (text grids, CSV rows with solutions, JSON) through the plugin's C API. First
// byte ignored (one class); the rest is a maze file.
#include "plugin_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    hrm::fuzz::fuzz_task("hrm-task-maze.so", {"maze"}, data, size);
    return 0;
}
