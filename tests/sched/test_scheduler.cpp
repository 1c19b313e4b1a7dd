// The scheduler end to end on the toy model and encoder (toy_plugins.hpp) with the real policies.
// The toy makes every result predictable: instance "x0x1x2x3" converges after d = 1 + x0 % 7
// segments, and q-halt stops it exactly there.
#include "scheduler.hpp"
#include "toy_plugins.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

namespace {

using hrm::sched::Options;
using hrm::sched::Scheduler;
using toy::toy_answer;
using toy::toy_difficulty;

constexpr const char *kFixed = "org.hrm-sdk.policy.fixed";
constexpr const char *kQHalt = "org.hrm-sdk.policy.q-halt";
constexpr const char *kVerify = "org.hrm-sdk.policy.verify";
constexpr const char *kStable = "org.hrm-sdk.policy.stable";
constexpr const char *kMulti = "org.hrm-sdk.policy.multi-start";

// One result, copied out of hrm_result (wall time left out: it is the only non-deterministic field).
struct Outcome {
    int32_t segments = 0;
    std::string solution;
    float q_halt = 0, q_continue = 0;
    int32_t verified = -1;
    int32_t start = 0;
    hrm_code error = HRM_OK;
    std::string message;
    double seconds = 0;

    bool operator==(const Outcome &o) const {
        return segments == o.segments && solution == o.solution && q_halt == o.q_halt && q_continue == o.q_continue &&
               verified == o.verified && start == o.start && error == o.error && message == o.message;
    }
};

std::ostream &operator<<(std::ostream &os, const Outcome &o) {
    return os << "{segments " << o.segments << ", solution '" << o.solution << "', q " << o.q_halt << "/" << o.q_continue
              << ", verified " << o.verified << ", start " << o.start << ", error " << o.error << " '" << o.message
              << "'}";
}

struct Solved {
    std::vector<Outcome> results;
    hrm_code code = HRM_OK;
    std::string message;
    hrm::sched::SolveStats stats;
};

Options layout(int64_t batch, int64_t shard, int32_t threads, uint64_t seed = 0) {
    Options o;
    o.batch_size = batch;
    o.shard_size = shard;
    o.n_threads = threads;
    o.seed = seed;
    return o;
}

// Build the three plugins, run one solve, copy the results out and release everything; also check
// that no status leaked (every status created was freed or handed over and then freed here).
Solved solve(const char *policy_id, const char *config, const std::vector<std::string> &instances,
             const Options &options, const toy::ModelConfig &model_config = {}, hrm_progress_fn progress = nullptr,
             void *user_data = nullptr, bool masked_encoder = false) {
    const int64_t live_before = toy::live_statuses();
    Solved out;
    {
        toy::ModelPtr model = toy::make_model(model_config);
        toy::EncoderPtr encoder = toy::make_encoder(masked_encoder);
        toy::PolicyPtr policy = toy::make_policy(policy_id, config);
        EXPECT_NE(policy, nullptr);
        if (!policy) return out;
        std::unique_ptr<Scheduler> sched;
        hrm_status *st = Scheduler::create(model.get(), encoder.get(), policy.get(), toy::services(), options, &sched);
        EXPECT_EQ(st, nullptr) << (st ? st->message : "");
        if (st) {
            toy::services().status_free(st);
            return out;
        }
        std::vector<hrm_blob> blobs;
        for (const std::string &s : instances) blobs.push_back(hrm_blob{s.data(), s.size()});
        std::vector<hrm_result> results(instances.size());
        st = sched->solve(blobs.data(), static_cast<int64_t>(blobs.size()), results.data(), progress, user_data);
        if (st) {
            out.code = st->code;
            out.message = st->message;
            toy::services().status_free(st);
        }
        out.stats = sched->last_stats();
        for (hrm_result &r : results) {
            EXPECT_EQ(r.struct_size, sizeof(hrm_result));
            Outcome o;
            o.segments = r.segments;
            if (r.solution.data) o.solution.assign(static_cast<const char *>(r.solution.data), r.solution.size);
            o.q_halt = r.q_halt;
            o.q_continue = r.q_continue;
            o.verified = r.verified;
            o.start = r.start;
            o.seconds = r.seconds;
            if (r.error) {
                o.error = r.error->code;
                o.message = r.error->message;
            }
            std::free(const_cast<void *>(r.solution.data));
            toy::services().status_free(r.error);
            out.results.push_back(o);
        }
    }
    EXPECT_EQ(toy::live_statuses(), live_before) << "statuses leaked";
    return out;
}

// n deterministic pseudo-random instances, covering every difficulty.
std::vector<std::string> make_instances(int n, uint32_t seed = 12345) {
    std::vector<std::string> out;
    uint32_t x = seed;
    for (int i = 0; i < n; ++i) {
        std::string s;
        for (int j = 0; j < 4; ++j) {
            x = x * 1664525u + 1013904223u;
            s += static_cast<char>('0' + (x >> 24) % 10);
        }
        out.push_back(s);
    }
    return out;
}

TEST(Scheduler, FixedRunsExactlyNSegments) {
    const auto inst = make_instances(20);
    Solved r = solve(kFixed, "[policy]\nsegments = 5\n", inst, layout(8, 3, 2));
    ASSERT_EQ(r.code, HRM_OK) << r.message;
    for (size_t i = 0; i < inst.size(); ++i) {
        const Outcome &o = r.results[i];
        EXPECT_EQ(o.segments, 5) << inst[i];
        EXPECT_EQ(o.error, HRM_OK);
        const bool converged = toy_difficulty(inst[i]) <= 5;
        EXPECT_EQ(o.verified, converged ? 1 : 0) << inst[i];
        if (converged) {
            EXPECT_EQ(o.solution, toy_answer(inst[i]));
        }
        EXPECT_FLOAT_EQ(o.q_halt, static_cast<float>(5 - toy_difficulty(inst[i]) + 0.5));
        EXPECT_GE(o.seconds, 0.0);
    }
}

TEST(Scheduler, QHaltStopsWhenTheHaltLogitWins) {
    const auto inst = make_instances(30);
    Solved plain = solve(kQHalt, nullptr, inst, layout(6, 2, 2));
    Solved bounded = solve(kQHalt, "[policy]\nmin_segments = 3\nmax_segments = 5\n", inst, layout(6, 2, 2));
    // sigmoid(s - d + 0.5) >= 0.9 needs s - d + 0.5 >= 2.197, i.e. s = d + 2.
    Solved thresholded = solve(kQHalt, "[policy]\nthreshold = 0.9\n", inst, layout(6, 2, 2));
    for (size_t i = 0; i < inst.size(); ++i) {
        const int d = toy_difficulty(inst[i]);
        EXPECT_EQ(plain.results[i].segments, d) << inst[i];
        EXPECT_EQ(plain.results[i].verified, 1);
        EXPECT_EQ(plain.results[i].solution, toy_answer(inst[i]));
        EXPECT_EQ(bounded.results[i].segments, std::clamp(d, 3, 5)) << inst[i];
        EXPECT_EQ(thresholded.results[i].segments, d + 2) << inst[i];
    }
}

TEST(Scheduler, VerifyStopsAtTheFirstVerifiedSegment) {
    std::vector<std::string> inst = make_instances(20);
    inst.push_back("1234?");   // no verifier for this one: it runs to max_segments
    Solved r = solve(kVerify, "[policy]\nmax_segments = 9\n", inst, layout(4, 1, 2));
    ASSERT_EQ(r.code, HRM_OK) << r.message;
    for (size_t i = 0; i + 1 < inst.size(); ++i) {
        EXPECT_EQ(r.results[i].segments, toy_difficulty(inst[i])) << inst[i];
        EXPECT_EQ(r.results[i].verified, 1);
        EXPECT_EQ(r.results[i].solution, toy_answer(inst[i]));
    }
    const Outcome &unchecked = r.results.back();
    EXPECT_EQ(unchecked.error, HRM_OK) << unchecked.message;
    EXPECT_EQ(unchecked.segments, 9);
    EXPECT_EQ(unchecked.verified, -1);
    EXPECT_EQ(unchecked.solution, "2345");
}

TEST(Scheduler, StableStopsAfterKUnchangedSegments) {
    const auto inst = make_instances(20);
    // The toy's answer stops changing at segment d: unchanged once at d + 1, twice at d + 2.
    Solved k2 = solve(kStable, nullptr, inst, layout(5, 2, 2));
    Solved k1 = solve(kStable, "[policy]\nk = 1\n", inst, layout(5, 2, 2));
    for (size_t i = 0; i < inst.size(); ++i) {
        EXPECT_EQ(k2.results[i].segments, toy_difficulty(inst[i]) + 2) << inst[i];
        EXPECT_EQ(k1.results[i].segments, toy_difficulty(inst[i]) + 1) << inst[i];
        EXPECT_EQ(k1.results[i].solution, toy_answer(inst[i]));
    }
}

TEST(Scheduler, MaskedEncoderDecodesTheBestValidTokenOfTheLogits) {
    // The copying model's own argmax repeats the input, which the task never accepts there; with
    // the encoder's output mask the session reads the logits and takes the best allowed token.
    const auto inst = make_instances(20);
    toy::ModelConfig copying;
    copying.copy_logits = true;
    const char *verify9 = "[policy]\nmax_segments = 9\n";
    Solved masked = solve(kVerify, verify9, inst, layout(6, 2, 2), copying, nullptr, nullptr, true);
    Solved plain = solve(kVerify, verify9, inst, layout(6, 2, 2), copying, nullptr, nullptr, false);
    // q-halt and stable read predictions at halt or by hash: the same masked readout.
    Solved halted = solve(kQHalt, nullptr, inst, layout(6, 2, 2), copying, nullptr, nullptr, true);
    Solved stable = solve(kStable, nullptr, inst, layout(6, 2, 2), copying, nullptr, nullptr, true);
    ASSERT_EQ(masked.code, HRM_OK) << masked.message;
    for (size_t i = 0; i < inst.size(); ++i) {
        const int d = toy_difficulty(inst[i]);
        EXPECT_EQ(masked.results[i].segments, d) << inst[i];
        EXPECT_EQ(masked.results[i].verified, 1) << inst[i];
        EXPECT_EQ(masked.results[i].solution, toy_answer(inst[i]));
        EXPECT_EQ(plain.results[i].segments, 9) << inst[i];
        EXPECT_EQ(plain.results[i].solution, inst[i]);  // the model's own argmax: a copy
        EXPECT_EQ(halted.results[i].segments, d) << inst[i];
        EXPECT_EQ(halted.results[i].solution, toy_answer(inst[i]));
        EXPECT_EQ(stable.results[i].segments, d + 2) << inst[i];
        EXPECT_EQ(stable.results[i].solution, toy_answer(inst[i]));
    }
}

TEST(Scheduler, AnInstanceWithoutValidTokensFailsAlone) {
    toy::ModelConfig copying;
    copying.copy_logits = true;
    const std::vector<std::string> inst = {"1234", "9999", "12x4", "5678"};
    Solved r = solve(kQHalt, nullptr, inst, layout(4, 2, 2), copying, nullptr, nullptr, true);
    ASSERT_EQ(r.code, HRM_OK) << r.message;
    EXPECT_EQ(r.results[1].error, HRM_E_PLUGIN);
    EXPECT_NE(r.results[1].message.find("output mask allows no token at position 0"), std::string::npos)
        << r.results[1].message;
    EXPECT_EQ(r.results[2].error, HRM_E_FORMAT);  // malformed: encode rejects it before any mask
    for (size_t i : {0u, 3u}) {
        EXPECT_EQ(r.results[i].error, HRM_OK) << r.results[i].message;
        EXPECT_EQ(r.results[i].solution, toy_answer(inst[i]));
    }
}

TEST(Scheduler, ResultsDoNotDependOnLayoutThreadsOrArrivalOrder) {
    const auto inst = make_instances(41);
    std::vector<size_t> perm(inst.size());
    std::iota(perm.begin(), perm.end(), size_t(0));
    std::reverse(perm.begin(), perm.end());
    std::rotate(perm.begin(), perm.begin() + 7, perm.end());
    std::vector<std::string> shuffled;
    for (size_t p : perm) shuffled.push_back(inst[p]);

    const std::vector<Options> layouts = {layout(3, 1, 1, 9), layout(7, 4, 2, 9), layout(64, 4, 2, 9),
                                          layout(64, 0, 2, 9), layout(5, 5, 1, 9), layout(1, 1, 2, 9)};
    const std::vector<std::pair<const char *, const char *>> policies = {
        {kQHalt, nullptr},
        {kStable, nullptr},
        {kVerify, nullptr},
        {kMulti, "[policy]\nn_starts = 3\nstart_noise = 1.0\n"}};
    for (const auto &[id, config] : policies) {
        const Solved ref = solve(id, config, inst, layouts[0]);
        ASSERT_EQ(ref.results.size(), inst.size());
        for (const Options &o : layouts) {
            const Solved r = solve(id, config, inst, o);
            EXPECT_EQ(r.results, ref.results) << id << " batch " << o.batch_size << " shard " << o.shard_size
                                              << " threads " << o.n_threads;
        }
        const Solved r = solve(id, config, shuffled, layout(7, 3, 2, 9));
        for (size_t k = 0; k < perm.size(); ++k) EXPECT_EQ(r.results[k], ref.results[perm[k]]) << id << " " << shuffled[k];
    }
}

TEST(Scheduler, FreedSlotsAreRefilledSoASlowInstanceBlocksNobody) {
    // One 7-segment instance ("6...") and six 1-segment ones ("0...") on 2 slots: slot 0 holds the
    // slow one while slot 1 takes the fast ones one per segment, so 7 segment steps do it all
    // (static batches of 2 would need 7 + 1 + 1 + 1 = 10).
    const std::vector<std::string> inst = {"6000", "0001", "0002", "0003", "0004", "0005", "0006"};
    Solved r = solve(kQHalt, nullptr, inst, layout(2, 1, 2));
    ASSERT_EQ(r.code, HRM_OK);
    EXPECT_EQ(r.results[0].segments, 7);
    for (size_t i = 1; i < inst.size(); ++i) {
        EXPECT_EQ(r.results[i].segments, 1) << inst[i];
        EXPECT_EQ(r.results[i].solution, toy_answer(inst[i]));
    }
    EXPECT_EQ(r.stats.segment_steps, 7);
    EXPECT_EQ(r.stats.rows_started, 7);

    // More instances than slots in general: everything finishes, each with its own count.
    const auto many = make_instances(100);
    Solved m = solve(kQHalt, nullptr, many, layout(8, 4, 2));
    int total = 0;
    for (size_t i = 0; i < many.size(); ++i) {
        EXPECT_EQ(m.results[i].segments, toy_difficulty(many[i]));
        total += m.results[i].segments;
    }
    // Continuous batching keeps the 8 slots busy: at most the tail runs partly empty.
    EXPECT_LE(m.stats.segment_steps, total / 8 + 7);
}

TEST(Scheduler, SmallSolvesUseOnlyTheSlotsTheyNeed) {
    // 3 instances on 64 slots: 3 slots (in shards of 2 on 2 threads), not 64 mostly idle rows.
    Solved r = solve(kQHalt, nullptr, make_instances(3), layout(64, 0, 2));
    EXPECT_EQ(r.stats.slots, 3);
    // Each start of a multi-start instance is a row of its own.
    Solved m = solve(kMulti, "[policy]\nn_starts = 3\n", make_instances(5), layout(64, 0, 2));
    EXPECT_EQ(m.stats.slots, 15);
    Solved full = solve(kQHalt, nullptr, make_instances(100), layout(8, 0, 2));
    EXPECT_EQ(full.stats.slots, 8);
}

// The toy's multi-start outcome of one start, computed independently of the scheduler.
struct StartOutcome {
    bool verified;
    float q_halt;
};
StartOutcome simulate_start(const std::string &inst, int32_t start, uint64_t seed, float noise) {
    const int d = toy_difficulty(inst);
    double u = 0;
    if (start > 0) {
        const double unit = toy::toy_unit_noise(hrm::sched::row_seed(seed, inst, start));
        if (unit > 0.5) return {false, 5.0f};   // overconfident: halts at once with a wrong answer
        u = static_cast<double>(noise) * unit;
    }
    for (int s = 1;; ++s) {
        const float q = static_cast<float>(s - d + 0.5 + u);
        if (q > 0.0f) return {s >= d, q};
    }
}

TEST(Scheduler, MultiStartPrefersVerifiedThenConfidence) {
    const auto inst = make_instances(40);
    const uint64_t seed = 77;
    Solved r = solve(kMulti, "[policy]\nn_starts = 4\nstart_noise = 1.0\n", inst, layout(9, 2, 2, seed));
    ASSERT_EQ(r.code, HRM_OK) << r.message;
    int overconfident_instances = 0;
    for (size_t i = 0; i < inst.size(); ++i) {
        int expected = -1;
        float best = 0;
        bool any_overconfident = false;
        for (int k = 0; k < 4; ++k) {
            StartOutcome o = simulate_start(inst[i], k, seed, 1.0f);
            any_overconfident |= !o.verified;
            if (o.verified && (expected < 0 || o.q_halt > best)) {
                expected = k;
                best = o.q_halt;
            }
        }
        overconfident_instances += any_overconfident;
        EXPECT_EQ(r.results[i].start, expected) << inst[i];
        EXPECT_EQ(r.results[i].verified, 1) << inst[i];
        EXPECT_FLOAT_EQ(r.results[i].q_halt, best) << inst[i];
        EXPECT_EQ(r.results[i].solution, toy_answer(inst[i]));
    }
    // The rule "verified first" was really exercised: some start had the top q_halt and a wrong answer.
    EXPECT_GT(overconfident_instances, 0);
    // Another session seed perturbs differently, yet start 0 is never perturbed.
    EXPECT_NE(hrm::sched::row_seed(1, inst[0], 1), hrm::sched::row_seed(2, inst[0], 1));
}

// A policy that never halts anything and records what it was asked: the scheduler must not ask
// before min_segments and must stop every row at max_segments on its own.
struct NeverPolicy {
    hrm_policy vtable{};
    int32_t min_seen = 1 << 30;
    int32_t max_seen = 0;
};
hrm_status *HRM_ABI never_get_spec(const hrm_policy *, hrm_policy_spec *out) {
    *out = hrm_policy_spec{sizeof(hrm_policy_spec), 0, 2, 4, 1, 0.0f};
    return nullptr;
}
hrm_status *HRM_ABI never_state_create(const hrm_policy *, int64_t, hrm_policy_state **out) {
    *out = nullptr;
    return nullptr;
}
void HRM_ABI never_state_free(const hrm_policy *, hrm_policy_state *) {}
hrm_status *HRM_ABI never_decide(const hrm_policy *self, hrm_policy_state *, int64_t n, const hrm_policy_row *rows,
                                 size_t, uint8_t *halt) {
    auto *p = reinterpret_cast<NeverPolicy *>(const_cast<hrm_policy *>(self));
    for (int64_t i = 0; i < n; ++i) {
        p->min_seen = std::min(p->min_seen, rows[i].segment);
        p->max_seen = std::max(p->max_seen, rows[i].segment);
        halt[i] = 0;
    }
    return nullptr;
}

TEST(Scheduler, AsksFromMinSegmentsAndCapsAtMaxSegments) {
    NeverPolicy never;
    never.vtable.struct_size = sizeof(hrm_policy);
    never.vtable.get_spec = never_get_spec;
    never.vtable.state_create = never_state_create;
    never.vtable.state_free = never_state_free;
    never.vtable.decide = never_decide;
    toy::ModelPtr model = toy::make_model();
    toy::EncoderPtr encoder = toy::make_encoder();
    std::unique_ptr<Scheduler> sched;
    ASSERT_EQ(Scheduler::create(model.get(), encoder.get(), &never.vtable, toy::services(), layout(3, 2, 2), &sched),
              nullptr);
    const auto inst = make_instances(9);
    std::vector<hrm_blob> blobs;
    for (const std::string &s : inst) blobs.push_back(hrm_blob{s.data(), s.size()});
    std::vector<hrm_result> results(inst.size());
    ASSERT_EQ(sched->solve(blobs.data(), 9, results.data(), nullptr, nullptr), nullptr);
    for (hrm_result &r : results) {
        EXPECT_EQ(r.segments, 4);
        std::free(const_cast<void *>(r.solution.data));
    }
    EXPECT_EQ(never.min_seen, 2);
    EXPECT_EQ(never.max_seen, 3);   // segment 4 is the cap: nobody asks the policy there
}

TEST(Scheduler, MalformedInstanceFailsAlone) {
    const std::vector<std::string> inst = {"1234", "12x4", "123", "5678", "", "9012"};
    Solved r = solve(kQHalt, nullptr, inst, layout(2, 1, 2));
    ASSERT_EQ(r.code, HRM_OK) << r.message;
    for (size_t i : {0u, 3u, 5u}) {
        EXPECT_EQ(r.results[i].error, HRM_OK) << inst[i] << ": " << r.results[i].message;
        EXPECT_EQ(r.results[i].solution, toy_answer(inst[i]));
    }
    EXPECT_EQ(r.results[1].error, HRM_E_FORMAT);
    EXPECT_NE(r.results[1].message.find("'x' at position 2"), std::string::npos) << r.results[1].message;
    EXPECT_EQ(r.results[2].error, HRM_E_FORMAT);
    EXPECT_NE(r.results[2].message.find("expected 4 digits"), std::string::npos) << r.results[2].message;
    EXPECT_EQ(r.results[4].error, HRM_E_FORMAT);
    EXPECT_EQ(r.results[1].segments, 0);
    EXPECT_TRUE(r.results[1].solution.empty());
}

struct ProgressLog {
    int calls = 0;
    int stop_at = -1;   // return false on this call (1-based)
    std::vector<std::pair<int64_t, int64_t>> seen;
};

bool HRM_ABI record_progress(int64_t done, int64_t total, void *user) {
    auto *log = static_cast<ProgressLog *>(user);
    log->seen.emplace_back(done, total);
    return ++log->calls != log->stop_at;
}

TEST(Scheduler, ProgressReportsDoneOverTotalAfterEverySegment) {
    const auto inst = make_instances(12);
    ProgressLog log;
    Solved r = solve(kQHalt, nullptr, inst, layout(4, 2, 2), {}, record_progress, &log);
    ASSERT_EQ(r.code, HRM_OK);
    ASSERT_EQ(static_cast<int64_t>(log.seen.size()), r.stats.segment_steps);
    for (size_t k = 0; k < log.seen.size(); ++k) {
        EXPECT_EQ(log.seen[k].second, 12);
        if (k > 0) {
            EXPECT_GE(log.seen[k].first, log.seen[k - 1].first);
        }
    }
    EXPECT_EQ(log.seen.back().first, 12);
}

TEST(Scheduler, CancellationKeepsFinishedResults) {
    const auto inst = make_instances(30);
    ProgressLog log;
    log.stop_at = 3;
    Solved r = solve(kQHalt, nullptr, inst, layout(64, 8, 2), {}, record_progress, &log);
    EXPECT_EQ(r.code, HRM_E_CANCELLED);
    EXPECT_EQ(log.calls, 3);
    EXPECT_EQ(r.stats.segment_steps, 3);
    int finished = 0, cancelled = 0;
    for (size_t i = 0; i < inst.size(); ++i) {
        if (toy_difficulty(inst[i]) <= 3) {   // all 30 fit the 64 slots: these halted by segment 3
            EXPECT_EQ(r.results[i].error, HRM_OK) << inst[i];
            EXPECT_EQ(r.results[i].solution, toy_answer(inst[i]));
            ++finished;
        } else {
            EXPECT_EQ(r.results[i].error, HRM_E_CANCELLED) << inst[i];
            EXPECT_TRUE(r.results[i].solution.empty());
            ++cancelled;
        }
    }
    EXPECT_GT(finished, 0);
    EXPECT_GT(cancelled, 0);
}

TEST(Scheduler, ModelFailureStopsTheSolveAndFailsUnfinishedInstances) {
    const auto inst = make_instances(10);
    toy::ModelConfig mc;
    mc.fail_after_h_updates = 4;   // the 5th H update of a state fails: during segment 3
    Solved r = solve(kQHalt, nullptr, inst, layout(16, 16, 1), mc);
    EXPECT_EQ(r.code, HRM_E_INTERNAL);
    EXPECT_NE(r.message.find("toy model failure"), std::string::npos) << r.message;
    for (size_t i = 0; i < inst.size(); ++i) {
        if (toy_difficulty(inst[i]) <= 2) {
            EXPECT_EQ(r.results[i].error, HRM_OK) << inst[i];
        } else {
            EXPECT_EQ(r.results[i].error, HRM_E_INTERNAL) << inst[i];
            EXPECT_NE(r.results[i].message.find("toy model failure"), std::string::npos);
        }
    }
}

TEST(Scheduler, FollowsTheModelsCycleSchedule) {
    // The toy fails any update or readout out of the h_cycles x (l_cycles x L, H) order.
    const auto inst = make_instances(15);
    for (auto [h, l] : {std::pair{1, 0}, std::pair{3, 1}, std::pair{2, 2}}) {
        toy::ModelConfig mc;
        mc.h_cycles = h;
        mc.l_cycles = l;
        Solved r = solve(kStable, nullptr, inst, layout(4, 2, 2), mc);
        ASSERT_EQ(r.code, HRM_OK) << r.message;
        for (size_t i = 0; i < inst.size(); ++i) EXPECT_EQ(r.results[i].segments, toy_difficulty(inst[i]) + 2);
    }
}

TEST(Scheduler, CreateChecksThatThePluginsFitTogether) {
    toy::ModelConfig mc;
    mc.seq_len = 5;
    toy::ModelPtr model = toy::make_model(mc);
    toy::EncoderPtr encoder = toy::make_encoder();
    toy::PolicyPtr policy = toy::make_policy(kQHalt, nullptr);
    toy::ModelPtr good = toy::make_model();
    std::unique_ptr<Scheduler> sched;   // declared last: destroyed before the plugins it borrows
    hrm_status *st = Scheduler::create(model.get(), encoder.get(), policy.get(), toy::services(), layout(4, 0, 1), &sched);
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(st->code, HRM_E_INVALID_ARG);
    EXPECT_NE(st->message.find("seq_len"), std::string::npos) << st->message;
    toy::services().status_free(st);
    EXPECT_EQ(sched, nullptr);

    st = Scheduler::create(good.get(), encoder.get(), policy.get(), toy::services(), layout(0, 0, 1), &sched);
    ASSERT_NE(st, nullptr);
    EXPECT_NE(st->message.find("batch_size"), std::string::npos) << st->message;
    toy::services().status_free(st);

    // shard_size 0 = batch_size / n_threads, rounded up.
    st = Scheduler::create(good.get(), encoder.get(), policy.get(), toy::services(), layout(10, 0, 3), &sched);
    ASSERT_EQ(st, nullptr);
    EXPECT_EQ(sched->shard_size(), 4);
    EXPECT_EQ(sched->n_threads(), 3);
}

TEST(Scheduler, SessionIsReusableAcrossSolves) {
    toy::ModelPtr model = toy::make_model();
    toy::EncoderPtr encoder = toy::make_encoder();
    toy::PolicyPtr policy = toy::make_policy(kStable, nullptr);
    std::unique_ptr<Scheduler> sched;
    ASSERT_EQ(Scheduler::create(model.get(), encoder.get(), policy.get(), toy::services(), layout(3, 2, 2), &sched), nullptr);
    for (const auto &inst : {make_instances(7, 1), make_instances(2, 3), make_instances(11, 2), std::vector<std::string>{}}) {
        std::vector<hrm_blob> blobs;
        for (const std::string &s : inst) blobs.push_back(hrm_blob{s.data(), s.size()});
        std::vector<hrm_result> results(inst.size());
        ASSERT_EQ(sched->solve(blobs.data(), static_cast<int64_t>(inst.size()), results.data(), nullptr, nullptr), nullptr);
        EXPECT_EQ(sched->last_stats().slots, std::min<int64_t>(3, static_cast<int64_t>(inst.size())));
        for (size_t i = 0; i < inst.size(); ++i) {
            EXPECT_EQ(results[i].segments, toy_difficulty(inst[i]) + 2) << inst[i];
            std::free(const_cast<void *>(results[i].solution.data));
            toy::services().status_free(results[i].error);
        }
    }
}

}  // namespace
