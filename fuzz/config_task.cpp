// Task options: the [task] table a host hands an encoder at creation (`hrm solve --config`,
// `hrm dataset build --set task.canvas=...`), and generate()'s options for the tasks that generate.
// First byte: the class and whether the text is the instance config or generate options
// (generation runs one seed); the rest is TOML.
#include "plugin_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static hrm_runtime *rt = hrm::fuzz::runtime_with(
        {"hrm-task-sudoku.so", "hrm-task-maze.so", "hrm-task-gridnav.so", "hrm-task-arc.so"});
    static const char *const kClasses[] = {"sudoku4", "maze", "gridnav", "arc"};
    if (size < 1) return 0;
    const char *name = kClasses[data[0] % 4];
    const bool generate = (data[0] >> 2) & 1;
    const std::string text(reinterpret_cast<const char *>(data + 1), size - 1);
    if (text.find('\0') != std::string::npos) return 0;   // a C string cannot hold it
    hrm_instance *inst = hrm::fuzz::create(rt, HRM_KIND_ENCODER, name, generate ? "" : text);
    if (!inst) return 0;
    const hrm_encoder *enc = hrm_instance_encoder(inst);
    hrm_encoder_spec spec{};
    spec.struct_size = sizeof spec;
    if (hrm::fuzz::ok(enc->get_spec(enc, &spec), "get_spec") && generate && (spec.caps & HRM_ENCODER_CAN_GENERATE)) {
        hrm_blob out{};
        if (hrm::fuzz::ok(enc->generate(enc, 1, text.c_str(), &out), "generate")) hrm_free(const_cast<void *>(out.data));
    }
    hrm_instance_free(inst);
    return 0;
}
