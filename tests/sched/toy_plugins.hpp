// In-process stand-ins for the three plugin kinds, built directly as vtables (no .so), plus a test
// host. They let the scheduler tests predict every result exactly:
//
// Toy task "digits": an instance is 4 ASCII digits x0..x3, optionally followed by '?' (an instance
// the verifier cannot check). The answer is (x_j + 1) mod 10 for each digit.
//
// Toy model: a row needs d = toy_difficulty(instance) = 1 + x0 mod 7 segments. Before that its
// prediction is wrong and changes every segment; from segment d on it is the answer. Its halting
// logits are q_halt = s - d + 0.5 + u, q_continue = 0 (s = segments done), so q-halt stops at d.
// Reset noise (multi-start) gives a row u = noise_std * toy_unit_noise(seed); a row whose unit
// noise is > 0.5 is "overconfident": a wrong answer forever with q_halt = 5.
// With copy_logits the model also reads out logits: its answer token gets 1, the input digit 2 (a
// model that copies its input), so its own argmax is always wrong. The masked encoder's
// output_mask forbids the input digit at each position (the answer never repeats it), so the
// masked argmax of a session reads the model's real answer; for "9999" it allows no token at all.
// The model checks the scheduler's call order (l_cycles L updates before each H update, readout
// only at segment boundaries) and fails the call otherwise.
#pragma once

#include "hrm/hrm.h"
#include "scheduler.hpp"

#include <cstdint>
#include <memory>
#include <string>

// The tests' own status object (libhrm is not linked into them).
struct hrm_status {
    hrm_code code;
    std::string message;
};

// The entry of the hrm-policies plugin, whose sources are compiled into these tests.
extern "C" hrm_status *hrm_plugin_negotiate(const hrm_loader_info *loader, hrm_plugin_info *out);

namespace toy {

constexpr int64_t kSeqLen = 4;
constexpr int64_t kVocab = 10;

// Statuses and blobs of the test host; Services for the Scheduler, an hrm_host table for plugins.
const hrm::sched::Services &services();
const hrm_host *host();
int64_t live_statuses();   // created minus freed: leak check

struct ModelConfig {
    int32_t h_cycles = 2;
    int32_t l_cycles = 3;
    int64_t seq_len = kSeqLen;
    int64_t fail_after_h_updates = -1;   // >= 0: update(H) fails once a state made this many
    bool copy_logits = false;            // read out logits, with the top one on the input digit
};

// Owning handles: destroy through the vtable's destroy slot.
struct ModelDeleter { void operator()(const hrm_model *m) const { m->destroy(m); } };
struct EncoderDeleter { void operator()(const hrm_encoder *e) const { e->destroy(e); } };
struct PolicyDeleter { void operator()(const hrm_policy *p) const { p->destroy(p); } };
using ModelPtr = std::unique_ptr<const hrm_model, ModelDeleter>;
using EncoderPtr = std::unique_ptr<const hrm_encoder, EncoderDeleter>;
using PolicyPtr = std::unique_ptr<const hrm_policy, PolicyDeleter>;

ModelPtr make_model(const ModelConfig &config = {});
EncoderPtr make_encoder(bool masked = false);
// A policy of the real hrm-policies plugin (compiled into the test), created through its
// negotiation and factory like the loader does. On failure returns NULL and sets *error.
PolicyPtr make_policy(const char *id, const char *config, hrm_status **error = nullptr);

int32_t toy_difficulty(const std::string &instance);
std::string toy_answer(const std::string &instance);
double toy_unit_noise(uint64_t seed);   // uniform in [-1, 1)

}  // namespace toy
