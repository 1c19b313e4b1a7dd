// The hrm-policies plugin on its own: descriptors, options and their errors, decide and choose on
// hand-made rows. (The scheduler tests run the same policies end to end.)
#include "toy_plugins.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using toy::make_policy;

constexpr const char *kFixed = "org.hrm-sdk.policy.fixed";
constexpr const char *kQHalt = "org.hrm-sdk.policy.q-halt";
constexpr const char *kVerify = "org.hrm-sdk.policy.verify";
constexpr const char *kStable = "org.hrm-sdk.policy.stable";
constexpr const char *kMulti = "org.hrm-sdk.policy.multi-start";

hrm_policy_spec spec_of(const hrm_policy *p) {
    hrm_policy_spec s{};
    s.struct_size = sizeof s;
    hrm_status *st = p->get_spec(p, &s);
    EXPECT_EQ(st, nullptr);
    return s;
}

// Create must fail with code, and the message must contain every given fragment.
void expect_config_error(const char *id, const char *config, hrm_code code, std::vector<std::string> fragments) {
    hrm_status *st = nullptr;
    toy::PolicyPtr p = make_policy(id, config, &st);
    ASSERT_EQ(p, nullptr) << id << " accepted: " << config;
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(st->code, code) << st->message;
    for (const std::string &f : fragments) EXPECT_NE(st->message.find(f), std::string::npos) << st->message;
    toy::services().status_free(st);
}

hrm_policy_row row(int64_t slot, int32_t segment, float q_halt, float q_continue = 0.0f, int32_t verified = -1,
                   uint64_t hash = 0, int32_t start = 0) {
    hrm_policy_row r{};
    r.struct_size = sizeof r;
    r.slot = slot;
    r.segment = segment;
    r.q_halt = q_halt;
    r.q_continue = q_continue;
    r.verified = verified;
    r.prediction_hash = hash;
    r.start = start;
    return r;
}

// Runs decide on a policy state that lives for the whole object.
class Decider {
public:
    Decider(const hrm_policy *p, int64_t slots) : p_(p) { EXPECT_EQ(p->state_create(p, slots, &state_), nullptr); }
    ~Decider() { p_->state_free(p_, state_); }
    std::vector<int> operator()(const std::vector<hrm_policy_row> &rows) {
        std::vector<uint8_t> halt(rows.size(), 7);
        hrm_status *st = p_->decide(p_, state_, static_cast<int64_t>(rows.size()), rows.data(), sizeof(hrm_policy_row), halt.data());
        EXPECT_EQ(st, nullptr) << (st ? st->message : "");
        if (st) toy::services().status_free(st);
        return std::vector<int>(halt.begin(), halt.end());
    }
    hrm_policy_state *state() { return state_; }

private:
    const hrm_policy *p_;
    hrm_policy_state *state_ = nullptr;
};

TEST(Policies, PluginDescribesFiveClasses) {
    hrm_loader_info loader{sizeof(hrm_loader_info), 1, 1, HRM_API_VERSION, toy::host()};
    hrm_plugin_info info{};
    info.struct_size = sizeof info;
    ASSERT_EQ(hrm_plugin_negotiate(&loader, &info), nullptr);
    const hrm_factory *f = info.get_factory(HRM_FACTORY_POLICY);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(info.get_factory(HRM_FACTORY_MODEL), nullptr);
    ASSERT_EQ(f->count(f), 5u);
    std::vector<std::string> names;
    for (uint32_t i = 0; i < 5; ++i) {
        const hrm_descriptor *d = f->get_descriptor(f, i);
        ASSERT_NE(d, nullptr);
        EXPECT_EQ(d->kind, HRM_KIND_POLICY);
        EXPECT_EQ(std::string(d->id), std::string("org.hrm-sdk.policy.") + d->name);
        names.push_back(d->name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"fixed", "q-halt", "verify", "stable", "multi-start"}));
    EXPECT_EQ(f->get_descriptor(f, 5), nullptr);
    expect_config_error("org.hrm-sdk.policy.nope", nullptr, HRM_E_NOT_FOUND, {"nope"});
}

TEST(Policies, SpecsAndDefaults) {
    auto fixed = make_policy(kFixed, nullptr);
    hrm_policy_spec s = spec_of(fixed.get());
    EXPECT_EQ(s.min_segments, 16);
    EXPECT_EQ(s.max_segments, 16);
    EXPECT_EQ(s.n_starts, 1);
    EXPECT_EQ(s.needs, 0u);
    EXPECT_EQ(fixed->choose, nullptr);

    s = spec_of(make_policy(kFixed, "[policy]\nsegments = 5\n").get());
    EXPECT_EQ(s.min_segments, 5);
    EXPECT_EQ(s.max_segments, 5);

    s = spec_of(make_policy(kQHalt, "").get());
    EXPECT_EQ(s.min_segments, 1);
    EXPECT_EQ(s.max_segments, 16);

    EXPECT_EQ(spec_of(make_policy(kVerify, nullptr).get()).needs, static_cast<uint32_t>(HRM_POLICY_NEEDS_VERIFY));
    EXPECT_EQ(spec_of(make_policy(kStable, nullptr).get()).needs, static_cast<uint32_t>(HRM_POLICY_NEEDS_PREDICTIONS));

    auto multi = make_policy(kMulti, nullptr);
    s = spec_of(multi.get());
    EXPECT_EQ(s.n_starts, 4);
    EXPECT_FLOAT_EQ(s.start_noise, 0.1f);
    EXPECT_NE(multi->choose, nullptr);

    // Other tables of a larger config file are not the policy's business.
    s = spec_of(make_policy(kMulti, "[model]\nhidden = 3\n[policy]\nn_starts = 8\nstart_noise = 0\n").get());
    EXPECT_EQ(s.n_starts, 8);
    EXPECT_EQ(s.start_noise, 0.0f);
}

TEST(Policies, ConfigErrorsNameTheKey) {
    expect_config_error(kQHalt, "[policy]\nthreshold = 1.5\n", HRM_E_INVALID_ARG, {"policy.threshold", "1.5"});
    expect_config_error(kQHalt, "[policy]\nthreshold = 0\n", HRM_E_INVALID_ARG, {"policy.threshold"});
    expect_config_error(kQHalt, "[policy]\nmin_segments = 5\nmax_segments = 3\n", HRM_E_INVALID_ARG,
                        {"policy.max_segments", "min_segments"});
    expect_config_error(kFixed, "[policy]\nsegments = 0\n", HRM_E_INVALID_ARG, {"policy.segments"});
    expect_config_error(kFixed, "[policy]\nsegments = \"ten\"\n", HRM_E_INVALID_ARG, {"policy.segments", "integer"});
    expect_config_error(kFixed, "[policy]\nsegments = 2.5\n", HRM_E_INVALID_ARG, {"policy.segments"});
    expect_config_error(kFixed, "[policy]\nmax_segments = 4\n", HRM_E_INVALID_ARG, {"policy.max_segments", "unknown"});
    expect_config_error(kStable, "[policy]\nk = 0\n", HRM_E_INVALID_ARG, {"policy.k"});
    expect_config_error(kStable, "[policy]\nkk = 2\n", HRM_E_INVALID_ARG, {"policy.kk", "unknown"});
    expect_config_error(kMulti, "[policy]\nn_starts = 0\n", HRM_E_INVALID_ARG, {"policy.n_starts"});
    expect_config_error(kMulti, "[policy]\nstart_noise = -1\n", HRM_E_INVALID_ARG, {"policy.start_noise"});
    expect_config_error(kVerify, "policy = 3\n", HRM_E_INVALID_ARG, {"policy"});
    // An option outside [policy] is named, not ignored (other tables of a config file are fine).
    expect_config_error(kFixed, "segments = 3\n", HRM_E_INVALID_ARG, {"'segments'", "[policy]"});
    expect_config_error(kVerify, "[policy\nmax_segments = 3\n", HRM_E_FORMAT, {"TOML", "line 1"});
}

TEST(Policies, FixedHaltsExactlyAtN) {
    auto p = make_policy(kFixed, "[policy]\nsegments = 3\n");
    Decider decide(p.get(), 2);
    EXPECT_EQ(decide({row(0, 3, -9.0f), row(1, 2, 9.0f)}), (std::vector<int>{1, 0}));
}

TEST(Policies, QHaltComparesLogitsOrUsesThreshold) {
    auto plain = make_policy(kQHalt, "[policy]\nmin_segments = 2\nmax_segments = 5\n");
    Decider d1(plain.get(), 4);
    // q_halt > q_continue halts, but not before min_segments; max_segments halts regardless.
    EXPECT_EQ(d1({row(0, 2, 0.1f, 0.0f), row(1, 2, -0.1f, 0.0f), row(2, 1, 3.0f, 0.0f), row(3, 5, -3.0f, 0.0f)}),
              (std::vector<int>{1, 0, 0, 1}));
    EXPECT_EQ(d1({row(0, 3, 0.0f, 0.0f)}), (std::vector<int>{0}));   // a tie continues

    // sigmoid(2.0) = 0.881 < 0.9 <= sigmoid(2.3) = 0.909; q_continue no longer matters.
    auto thr = make_policy(kQHalt, "[policy]\nthreshold = 0.9\n");
    Decider d2(thr.get(), 3);
    EXPECT_EQ(d2({row(0, 1, 2.0f, -5.0f), row(1, 1, 2.3f, 10.0f), row(2, 16, -9.0f)}), (std::vector<int>{0, 1, 1}));
}

TEST(Policies, VerifyStopsOnAcceptedAnswer) {
    auto p = make_policy(kVerify, "[policy]\nmax_segments = 8\n");
    Decider decide(p.get(), 4);
    EXPECT_EQ(decide({row(0, 1, 9.0f, 0, 0), row(1, 1, -9.0f, 0, 1), row(2, 7, 0, 0, -1), row(3, 8, 0, 0, -1)}),
              (std::vector<int>{0, 1, 0, 1}));
}

TEST(Policies, StableCountsUnchangedSegmentsPerSlot) {
    auto p = make_policy(kStable, "[policy]\nk = 2\n");
    Decider decide(p.get(), 2);
    // Slot 0 settles on hash 7 at segment 2; slot 1 keeps changing. Interleaving must not mix them.
    EXPECT_EQ(decide({row(0, 1, 0, 0, -1, 5), row(1, 1, 0, 0, -1, 7)}), (std::vector<int>{0, 0}));
    EXPECT_EQ(decide({row(0, 2, 0, 0, -1, 7), row(1, 2, 0, 0, -1, 8)}), (std::vector<int>{0, 0}));
    EXPECT_EQ(decide({row(0, 3, 0, 0, -1, 7), row(1, 3, 0, 0, -1, 7)}), (std::vector<int>{0, 0}));
    EXPECT_EQ(decide({row(0, 4, 0, 0, -1, 7), row(1, 4, 0, 0, -1, 9)}), (std::vector<int>{1, 0}));
    // A new row in slot 0 (segment 1) starts counting afresh even with the same hash.
    EXPECT_EQ(decide({row(0, 1, 0, 0, -1, 7)}), (std::vector<int>{0}));
    EXPECT_EQ(decide({row(0, 2, 0, 0, -1, 7)}), (std::vector<int>{0}));
    EXPECT_EQ(decide({row(0, 3, 0, 0, -1, 7)}), (std::vector<int>{1}));
}

TEST(Policies, StableWithMinSegmentsTreatsFirstSeenRowAsNew) {
    auto p = make_policy(kStable, "[policy]\nk = 1\nmin_segments = 3\n");
    Decider decide(p.get(), 1);
    EXPECT_EQ(decide({row(0, 3, 0, 0, -1, 4)}), (std::vector<int>{0}));
    EXPECT_EQ(decide({row(0, 4, 0, 0, -1, 4)}), (std::vector<int>{1}));
    // The next occupant is first seen at segment 3 again: no memory of the previous hash.
    EXPECT_EQ(decide({row(0, 3, 0, 0, -1, 4)}), (std::vector<int>{0}));
}

TEST(Policies, DecideRejectsRowsOutsideTheState) {
    auto p = make_policy(kQHalt, nullptr);
    Decider decide(p.get(), 2);
    hrm_policy_row r = row(2, 1, 0);
    uint8_t halt = 0;
    hrm_status *st = p->decide(p.get(), decide.state(), 1, &r, sizeof r, &halt);
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(st->code, HRM_E_INVALID_ARG);
    toy::services().status_free(st);
}

TEST(Policies, MultiStartChoosesVerifiedThenConfidenceThenLowestStart) {
    auto p = make_policy(kMulti, nullptr);
    auto choose = [&](std::vector<hrm_policy_row> c) {
        int64_t chosen = -1;
        hrm_status *st = p->choose(p.get(), static_cast<int64_t>(c.size()), c.data(), sizeof(hrm_policy_row), &chosen);
        EXPECT_EQ(st, nullptr);
        return chosen;
    };
    // An overconfident wrong answer loses to any verified one; among verified the higher q_halt.
    EXPECT_EQ(choose({row(0, 1, 5.0f, 0, 0, 0, 0), row(1, 4, 0.1f, 0, 1, 0, 1), row(2, 4, 0.3f, 0, 1, 0, 2)}), 2);
    // Nothing verified (or not checkable): the highest q_halt.
    EXPECT_EQ(choose({row(0, 1, 0.5f, 0, -1, 0, 0), row(1, 1, 2.0f, 0, 0, 0, 1), row(2, 1, 1.0f, 0, -1, 0, 2)}), 1);
    // Ties go to the lowest start, whatever the candidates' order.
    EXPECT_EQ(choose({row(0, 1, 1.0f, 0, 1, 0, 3), row(1, 1, 1.0f, 0, 1, 0, 1), row(2, 1, 1.0f, 0, 1, 0, 2)}), 1);
    // Multi-start halts each start like q-halt.
    Decider decide(p.get(), 2);
    EXPECT_EQ(decide({row(0, 1, 0.2f, 0.0f), row(1, 1, -0.2f, 0.0f)}), (std::vector<int>{1, 0}));
}

}  // namespace
