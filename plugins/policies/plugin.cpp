// The C ABI of the hrm-policies plugin: descriptors, the policy factory, per-instance vtables and
// the negotiation entry. The policy logic itself is in policies.cpp.
#include "policies.hpp"

#include "hrm/hrm_plugin.hpp"
#include "hrm/hrm_policy.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

using hrm::plugin::Error;
using hrm::plugin::guard;
using hrm::plugin::require;

// The opaque state of hrm_policy.h: one memory entry per scheduler slot.
struct hrm_policy_state {
    std::vector<hrm::policies::SlotMemory> slots;
};

namespace {

constexpr size_t kClassCount = std::size(hrm::policies::kPolicyClasses);
const char *const kNoFeatures[] = {nullptr};

// The descriptors of kPolicyClasses, in the same order.
std::array<hrm_descriptor, kClassCount> make_descriptors() {
    std::array<hrm_descriptor, kClassCount> items;
    for (size_t i = 0; i < kClassCount; ++i) {
        const auto &c = hrm::policies::kPolicyClasses[i];
        items[i] = hrm_descriptor{sizeof(hrm_descriptor), HRM_KIND_POLICY, c.id, c.name, "1.0.0",
                                  "hrm-sdk", c.description, "", kNoFeatures};
    }
    return items;
}
const std::array<hrm_descriptor, kClassCount> kDescriptors = make_descriptors();

// One created policy: the vtable handed out first, so the vtable pointer is the instance pointer.
struct Instance {
    hrm_policy vtable{};
    const hrm_host *host = nullptr;
    std::unique_ptr<hrm::policies::Policy> policy;
};

const Instance &self_of(const hrm_policy *self) { return *reinterpret_cast<const Instance *>(self); }

hrm_status *HRM_ABI policy_get_spec(const hrm_policy *self, hrm_policy_spec *out) {
    const Instance &inst = self_of(self);
    return guard(inst.host, [&] {
        require(out != nullptr, HRM_E_INVALID_ARG, "get_spec: out is NULL");
        require(out->struct_size >= sizeof(hrm_policy_spec), HRM_E_VERSION, "get_spec: hrm_policy_spec too small");
        hrm_policy_spec spec = inst.policy->spec();
        spec.struct_size = out->struct_size;
        *out = spec;
    });
}

hrm_status *HRM_ABI policy_state_create(const hrm_policy *self, int64_t n_slots, hrm_policy_state **out) {
    const Instance &inst = self_of(self);
    return guard(inst.host, [&] {
        require(out != nullptr, HRM_E_INVALID_ARG, "state_create: out is NULL");
        require(n_slots >= 0, HRM_E_INVALID_ARG, "state_create: n_slots must be >= 0");
        auto state = std::make_unique<hrm_policy_state>();
        state->slots.resize(static_cast<size_t>(n_slots));
        *out = state.release();
    });
}

void HRM_ABI policy_state_free(const hrm_policy *, hrm_policy_state *state) { delete state; }

// The rows as this plugin's hrm_policy_row, whatever row_size the scheduler was compiled with.
std::vector<hrm_policy_row> rows_of(const hrm_policy_row *rows, size_t row_size, int64_t n) {
    require(row_size >= offsetof(hrm_policy_row, prediction_hash) + sizeof(uint64_t), HRM_E_VERSION,
            "policy rows of " + std::to_string(row_size) + " bytes are smaller than API 1's hrm_policy_row");
    std::vector<hrm_policy_row> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) hrm_policy_row_get(rows, row_size, i, &out[static_cast<size_t>(i)]);
    return out;
}

hrm_status *HRM_ABI policy_decide(const hrm_policy *self, hrm_policy_state *state, int64_t n,
                                  const hrm_policy_row *given, size_t row_size, uint8_t *halt) {
    const Instance &inst = self_of(self);
    return guard(inst.host, [&] {
        require(state != nullptr, HRM_E_INVALID_ARG, "decide: state is NULL");
        require(n >= 0 && (n == 0 || (given && halt)), HRM_E_INVALID_ARG, "decide: rows or halt is NULL");
        const std::vector<hrm_policy_row> rows = rows_of(given, row_size, n);
        const int64_t n_slots = static_cast<int64_t>(state->slots.size());
        for (int64_t i = 0; i < n; ++i)
            require(rows[i].slot >= 0 && rows[i].slot < n_slots && rows[i].segment >= 1, HRM_E_INVALID_ARG,
                    "decide: row " + std::to_string(i) + " has slot " + std::to_string(rows[i].slot) +
                        " (state has " + std::to_string(n_slots) + ") and segment " +
                        std::to_string(rows[i].segment));
        inst.policy->decide(state->slots, n, rows.data(), halt);
    });
}

hrm_status *HRM_ABI policy_choose(const hrm_policy *self, int64_t n, const hrm_policy_row *candidates,
                                  size_t row_size, int64_t *chosen) {
    const Instance &inst = self_of(self);
    return guard(inst.host, [&] {
        require(n >= 1 && candidates && chosen, HRM_E_INVALID_ARG, "choose: needs n >= 1 candidates and chosen");
        *chosen = inst.policy->choose(n, rows_of(candidates, row_size, n).data());
    });
}

const void *HRM_ABI policy_get_extension(const hrm_policy *, const char *) { return nullptr; }

void HRM_ABI policy_destroy(const hrm_policy *self) { delete &const_cast<Instance &>(self_of(self)); }

// ---- Factory ------------------------------------------------------------------------------------

hrm_status *HRM_ABI factory_create(const hrm_factory *, const char *id, const hrm_host *host,
                                   const hrm_instance_params *params, const void **out) {
    return guard(host, [&] {
        require(id != nullptr && out != nullptr, HRM_E_INVALID_ARG, "create: id or out is NULL");
        const hrm_descriptor *desc = nullptr;
        for (const hrm_descriptor &d : kDescriptors)
            if (std::string_view(d.id) == id) desc = &d;
        require(desc != nullptr, HRM_E_NOT_FOUND, std::string("no policy class with id '") + id + "'");
        // Read config only when the caller's params struct is large enough to hold it.
        const char *config = nullptr;
        if (params && params->struct_size >= offsetof(hrm_instance_params, config) + sizeof(const char *))
            config = params->config;

        auto inst = std::make_unique<Instance>();
        inst->host = host;
        inst->policy = hrm::policies::make_policy(id, config);
        hrm_policy &v = inst->vtable;
        v.struct_size = sizeof(hrm_policy);
        v.api_version = HRM_API_VERSION;
        v.desc = desc;
        v.plugin_data = inst.get();
        v.get_spec = policy_get_spec;
        v.state_create = policy_state_create;
        v.state_free = policy_state_free;
        v.decide = policy_decide;
        // hrm_policy.h: choose is NULL for single-start policies.
        v.choose = inst->policy->spec().n_starts > 1 ? policy_choose : nullptr;
        v.get_extension = policy_get_extension;
        v.destroy = policy_destroy;
        *out = &inst.release()->vtable;
    });
}

const hrm_factory kFactory = {sizeof(hrm_factory), HRM_API_VERSION, nullptr,
                              hrm::plugin::class_count<kDescriptors>, hrm::plugin::class_descriptor<kDescriptors>,
                              factory_create};

}  // namespace

HRM_PLUGIN_DEFINE_ENTRY("org.hrm-sdk.policies", "1.0.0", HRM_FACTORY_POLICY, kFactory)
