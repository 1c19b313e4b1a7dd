// The C session API of libhrm (hrm.h "Sessions") on real plugins: the HRM model plugin with the
// small parity checkpoint, the Sudoku task and hrm-policies, loaded by path through a runtime.
// The checkpoint is a test fixture, not a trained solver, so these tests check the contract (every
// result written, errors per instance, layout independence, cancellation, struct sizes), not
// accuracy.
#include "hrm/hrm.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

const std::vector<std::string> kPuzzles = {
    "..6..1....5..3....9..4....7..1....2..3..9....4..5....13.....68....3..2....2..8..3",
    "........3..1..9.6..5..8.4.....9...8...867.....1....2....6..7.2..3.8..5..4.......8",
    "12x",   // malformed: fails alone
    "........5..6..87..3......9....1.7.4...7...8...4...6....9..8...3..16..4..5...2....",
    ".....5..3..9....4..81.4.......7.......4..2..68...14.3.......2...4...6..79...5..1.",
};

void ok(hrm_status *st) {
    ASSERT_EQ(st, nullptr) << hrm_status_message(st);
}

struct Result {
    int32_t segments;
    std::string solution;
    float q_halt, q_continue;
    int32_t verified, start;
    hrm_code code;
    std::string message;
    bool operator==(const Result &o) const {
        return segments == o.segments && solution == o.solution && q_halt == o.q_halt && q_continue == o.q_continue &&
               verified == o.verified && start == o.start && code == o.code && message == o.message;
    }
};

Result take(hrm_result &r) {
    Result out{r.segments, std::string(static_cast<const char *>(r.solution.data ? r.solution.data : ""), r.solution.size),
               r.q_halt, r.q_continue, r.verified, r.start, hrm_status_code(r.error), hrm_status_message(r.error)};
    hrm_result_clear(&r);
    EXPECT_EQ(r.solution.data, nullptr);
    EXPECT_EQ(r.error, nullptr);
    return out;
}

class Session : public ::testing::Test {
protected:
    void SetUp() override {
        ok(hrm_runtime_create(nullptr, &runtime_));
        for (const char *path : {HRM_MODEL_PLUGIN, HRM_SUDOKU_PLUGIN, HRM_POLICIES_PLUGIN})
            ok(hrm_runtime_load_plugin(runtime_, path));
        hrm_instance_params params;
        hrm_instance_params_init(&params, sizeof params);
        const std::string weights = std::string(HRM_PARITY_DATA) + "/small/model.safetensors";
        params.weights = weights.c_str();
        ok(hrm_instance_create(runtime_, HRM_KIND_MODEL, "hrm", &params, &model_));
        ok(hrm_instance_create(runtime_, HRM_KIND_ENCODER, "sudoku", nullptr, &encoder_));
    }
    void TearDown() override {
        for (hrm_instance *i : policies_) hrm_instance_free(i);
        hrm_instance_free(encoder_);
        hrm_instance_free(model_);
        hrm_runtime_free(runtime_);
    }

    hrm_instance *policy(const char *name, const char *config) {
        hrm_instance_params params;
        hrm_instance_params_init(&params, sizeof params);
        params.config = config;
        hrm_instance *p = nullptr;
        hrm_status *st = hrm_instance_create(runtime_, HRM_KIND_POLICY, name, &params, &p);
        EXPECT_EQ(st, nullptr) << hrm_status_message(st);
        hrm_status_free(st);
        if (p) policies_.push_back(p);
        return p;
    }

    std::vector<Result> solve(hrm_instance *pol, int64_t batch, int32_t threads, hrm_code expect = HRM_OK,
                              hrm_progress_fn progress = nullptr, void *user = nullptr) {
        hrm_session_params sp;
        hrm_session_params_init(&sp, sizeof sp);
        sp.batch_size = batch;
        sp.n_threads = threads;
        hrm_session *s = nullptr;
        hrm_status *st = hrm_session_create(model_, encoder_, pol, &sp, &s);
        EXPECT_EQ(st, nullptr) << hrm_status_message(st);
        if (st) {
            hrm_status_free(st);
            return {};
        }
        std::vector<hrm_blob> in;
        for (const std::string &p : kPuzzles) in.push_back(hrm_blob{p.data(), p.size()});
        std::vector<hrm_result> results(in.size());
        st = hrm_session_solve(s, in.data(), int64_t(in.size()), results.data(), sizeof(hrm_result), progress, user);
        EXPECT_EQ(hrm_status_code(st), expect) << hrm_status_message(st);
        hrm_status_free(st);
        hrm_session_free(s);
        std::vector<Result> out;
        for (hrm_result &r : results) {
            EXPECT_EQ(r.struct_size, sizeof(hrm_result));
            out.push_back(take(r));
        }
        return out;
    }

    hrm_runtime *runtime_ = nullptr;
    hrm_instance *model_ = nullptr;
    hrm_instance *encoder_ = nullptr;
    std::vector<hrm_instance *> policies_;
};

TEST_F(Session, ParamsInitGivesTheDocumentedDefaults) {
    hrm_session_params sp;
    std::memset(&sp, 0x5A, sizeof sp);
    hrm_session_params_init(&sp, sizeof sp);
    EXPECT_EQ(sp.struct_size, sizeof sp);
    EXPECT_EQ(sp.n_threads, 0);
    EXPECT_EQ(sp.batch_size, 64);
    EXPECT_EQ(sp.shard_size, 0);
    EXPECT_LT(sp.precision, 0);   // "the model's default_precision"
    EXPECT_EQ(sp.seed, 0u);
}

TEST_F(Session, CreateChecksTheInstanceKinds) {
    hrm_instance *pol = policy("fixed", nullptr);
    hrm_session *s = nullptr;
    hrm_status *st = hrm_session_create(model_, pol, encoder_, nullptr, &s);
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(hrm_status_code(st), HRM_E_INVALID_ARG);
    EXPECT_NE(std::string(hrm_status_message(st)).find("encoder"), std::string::npos) << hrm_status_message(st);
    hrm_status_free(st);
    EXPECT_EQ(s, nullptr);
    hrm_session_free(nullptr);
    hrm_result_clear(nullptr);
}

TEST_F(Session, EveryResultIsWrittenAndABadPuzzleFailsAlone) {
    std::vector<Result> r = solve(policy("fixed", "[policy]\nsegments = 2\n"), 2, 2);
    ASSERT_EQ(r.size(), kPuzzles.size());
    EXPECT_EQ(r[2].code, HRM_E_FORMAT);
    EXPECT_NE(r[2].message.find("length"), std::string::npos) << r[2].message;
    for (size_t i : {0u, 1u, 3u, 4u}) {
        EXPECT_EQ(r[i].segments, 2) << i;
        // Even an untrained fixture's answer decodes: the session takes the best digit of the
        // logits where the model's own argmax would say PAD (the encoder's output mask).
        EXPECT_EQ(r[i].code, HRM_OK) << i << ": " << r[i].message;
        EXPECT_EQ(r[i].solution.size(), 81u);
        EXPECT_NE(r[i].verified, -1);
    }
}

TEST_F(Session, ResultsDoNotDependOnBatchOrThreads) {
    for (const auto &[name, config] : {std::pair{"q-halt", "[policy]\nmax_segments = 3\n"},
                                       std::pair{"multi-start", "[policy]\nn_starts = 2\nmax_segments = 2\n"}}) {
        hrm_instance *pol = policy(name, config);
        const std::vector<Result> a = solve(pol, 1, 1);
        const std::vector<Result> b = solve(pol, 3, 2);
        const std::vector<Result> c = solve(pol, 64, 2);
        EXPECT_TRUE(a == b) << name;
        EXPECT_TRUE(a == c) << name;
    }
}

bool HRM_ABI stop_at_once(int64_t, int64_t, void *) { return false; }

TEST_F(Session, ProgressCanCancel) {
    std::vector<Result> r = solve(policy("fixed", "[policy]\nsegments = 3\n"), 2, 1, HRM_E_CANCELLED, stop_at_once);
    ASSERT_EQ(r.size(), kPuzzles.size());
    EXPECT_EQ(r[2].code, HRM_E_FORMAT);   // failed before any segment: kept
    for (size_t i : {0u, 1u, 3u, 4u}) EXPECT_EQ(r[i].code, HRM_E_CANCELLED) << i;
}

TEST_F(Session, LargerResultStructsFromNewerCallersAreZeroFilled) {
    hrm_session *s = nullptr;
    ok(hrm_session_create(model_, encoder_, policy("fixed", "[policy]\nsegments = 1\n"), nullptr, &s));
    struct Bigger {
        hrm_result r;
        unsigned char later[40];
    };
    std::vector<Bigger> out(kPuzzles.size());
    std::memset(out.data(), 0xCD, out.size() * sizeof(Bigger));
    std::vector<hrm_blob> in;
    for (const std::string &p : kPuzzles) in.push_back(hrm_blob{p.data(), p.size()});
    ok(hrm_session_solve(s, in.data(), int64_t(in.size()), &out[0].r, sizeof(Bigger), nullptr, nullptr));
    for (Bigger &b : out) {
        EXPECT_EQ(b.r.struct_size, sizeof(hrm_result));
        for (unsigned char c : b.later) EXPECT_EQ(c, 0);
        hrm_result_clear(&b.r);
    }
    // Smaller than API 1's hrm_result: refused, nothing written.
    hrm_status *st = hrm_session_solve(s, in.data(), int64_t(in.size()), &out[0].r, sizeof(hrm_result) - 8, nullptr, nullptr);
    EXPECT_EQ(hrm_status_code(st), HRM_E_VERSION);
    hrm_status_free(st);
    hrm_session_free(s);
}

}  // namespace
