// The test mock (mock_model.hpp) as a model plugin "mock", so test_runner.cpp can drive
// `hrm train` / `hrm eval` end to end. [model] keys: seq_len, vocab_size, hidden_size,
// num_puzzle_identifiers, halt_max_steps; weights load from a model.safetensors.
#define MOCK_AS_PLUGIN
#include <cstring>

#include <toml++/toml.h>

#include <hrm/common/safetensors.hpp>
#include <hrm/hrm_plugin.hpp>

#include "mock_model.hpp"

namespace {
const hrm_descriptor kDesc = {sizeof(hrm_descriptor), HRM_KIND_MODEL, "org.hrm-sdk.test.mock", "mock", "1.0", "hrm-sdk",
                              "trainable mock", "", nullptr};
bool HRM_ABI init(const hrm_host *, const char *) { return true; }
void HRM_ABI deinit() {}
uint32_t HRM_ABI count(const hrm_factory *) { return 1; }
const hrm_descriptor *HRM_ABI descriptor(const hrm_factory *, uint32_t i) { return i == 0 ? &kDesc : nullptr; }
hrm_status *HRM_ABI create(const hrm_factory *, const char *, const hrm_host *host, const hrm_instance_params *p,
                           const void **out) {
    mock::g_host = host;
    return hrm::plugin::guard(host, [&] {
        mock::Config c;
        if (p->config && *p->config) {
            toml::table t = toml::parse(p->config);
            const toml::node_view<toml::node> m = t["model"];
            c.S = m["seq_len"].value_or(c.S);
            c.V = m["vocab_size"].value_or(c.V);
            c.D = m["hidden_size"].value_or(c.D);
            c.N = m["num_puzzle_identifiers"].value_or(c.N);
            c.M = int32_t(m["halt_max_steps"].value_or(int64_t(c.M)));
        }
        c.seed = p->seed + 1;
        auto *model = new mock::Model(c);
        if (p->weights) {
            hrm::common::SafetensorsFile f(p->weights);
            for (auto &t : model->tensors()) {
                const auto &v = f.get(t.name, hrm::common::DType::F32, t.shape);
                std::memcpy(t.v.data(), v.data, v.nbytes);
            }
        }
        *out = model->vtable();
    });
}
const hrm_factory kFactory = {sizeof(hrm_factory), HRM_API_VERSION, nullptr, count, descriptor, create};
const hrm_factory *HRM_ABI get_factory(const char *id) { return std::strcmp(id, HRM_FACTORY_MODEL) == 0 ? &kFactory : nullptr; }
}  // namespace

HRM_PLUGIN_ENTRY hrm_status *HRM_ABI hrm_plugin_negotiate(const hrm_loader_info *loader, hrm_plugin_info *out) {
    return hrm::plugin::negotiate(loader, out, "org.hrm-sdk.test.mock", "1.0", init, deinit, get_factory);
}
