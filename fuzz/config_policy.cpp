// Policy options: the [policy] table of `hrm solve --config` handed to each policy class of the
// policies plugin. First byte: the class; the rest is TOML.
#include "hrm/hrm_policy.h"
#include "plugin_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static hrm_runtime *rt = hrm::fuzz::runtime_with({"hrm-policies.so"});
    static const char *const kClasses[] = {"fixed", "q-halt", "verify", "stable", "multi-start"};
    if (size < 1) return 0;
    const std::string text(reinterpret_cast<const char *>(data + 1), size - 1);
    if (text.find('\0') != std::string::npos) return 0;   // a C string cannot hold it
    hrm_instance *inst = hrm::fuzz::create(rt, HRM_KIND_POLICY, kClasses[data[0] % 5], text);
    if (!inst) return 0;
    const hrm_policy *p = hrm_instance_policy(inst);
    hrm_policy_spec spec{};
    spec.struct_size = sizeof spec;
    (void)hrm::fuzz::ok(p->get_spec(p, &spec), "get_spec");
    hrm_policy_state *state = nullptr;
    if (hrm::fuzz::ok(p->state_create(p, 4, &state), "state_create")) p->state_free(p, state);
    hrm_instance_free(inst);
    return 0;
}
