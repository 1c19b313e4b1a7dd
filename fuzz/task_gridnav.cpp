// Gridnav instances (compact text grids, CSV, JSON) through the plugin's C API. First byte
// ignored (one class); the rest is an instance file.
#include "plugin_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    hrm::fuzz::fuzz_task("hrm-task-gridnav.so", {"gridnav"}, data, size);
    return 0;
}
