// ARC instances (task JSON, JSON lines of a task's test input) through the plugin's C API. First
// byte ignored (one class); the rest is an instance file.
#include "plugin_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    hrm::fuzz::fuzz_task("hrm-task-arc.so", {"arc"}, data, size, 4);
    return 0;
}
