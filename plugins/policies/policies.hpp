// The five refinement policies of the hrm-policies plugin as plain C++ classes. plugin.cpp wraps
// them into hrm_policy vtables; nothing here knows about the C ABI beyond its structs.
//
// A policy is immutable after construction (its options are parsed once); everything that changes
// during a run lives in the per-slot memory the scheduler's policy state owns.
#pragma once

#include "hrm/hrm_policy.h"

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace hrm::policies {

// What a policy remembers about the row in one slot between segments (only `stable` needs it).
struct SlotMemory {
    int32_t last_segment = 0;   // segment of the last row seen in this slot; 0 = nothing yet
    uint64_t last_hash = 0;     // its prediction hash
    int32_t unchanged = 0;      // consecutive segments whose hash equalled the one before
};

class Policy {
public:
    virtual ~Policy() = default;

    const hrm_policy_spec &spec() const { return spec_; }

    // halt[i] = 1 to stop rows[i], 0 to continue. memory has one entry per scheduler slot and every
    // rows[i].slot is a valid index into it (plugin.cpp checks).
    virtual void decide(std::vector<SlotMemory> &memory, int64_t n, const hrm_policy_row *rows,
                        uint8_t *halt) const = 0;

    // Index of the chosen candidate among n >= 1 finished starts of one instance. Only policies
    // with spec().n_starts > 1 are asked.
    virtual int64_t choose(int64_t n, const hrm_policy_row *candidates) const;

protected:
    hrm_policy_spec spec_{};
};

// The classes this plugin provides, in descriptor order.
struct PolicyClass {
    const char *id;            // "org.hrm-sdk.policy.q-halt"
    const char *name;          // "q-halt"
    const char *description;   // one line
};
inline constexpr PolicyClass kPolicyClasses[] = {
    {"org.hrm-sdk.policy.fixed", "fixed",
     "exactly N segments per instance, like the reference evaluation ([policy] segments, default 16)"},
    {"org.hrm-sdk.policy.q-halt", "q-halt",
     "halt when q_halt > q_continue, or when sigmoid(q_halt) >= threshold (ACT at inference time)"},
    {"org.hrm-sdk.policy.verify", "verify",
     "halt as soon as the task's verifier accepts the decoded answer"},
    {"org.hrm-sdk.policy.stable", "stable",
     "halt once the predicted answer has not changed for k segments"},
    {"org.hrm-sdk.policy.multi-start", "multi-start",
     "run each instance from several perturbed starts and keep the best answer"},
};

// Build the policy of class id from TOML config text (table [policy]; NULL or "" = defaults).
// Throws hrm::plugin::Error: HRM_E_NOT_FOUND for an unknown id, HRM_E_FORMAT for text that is not
// TOML, HRM_E_INVALID_ARG for a bad or unknown option, the message naming the key ("policy.k").
std::unique_ptr<Policy> make_policy(std::string_view id, const char *config);

}  // namespace hrm::policies
