// The TRM and transformer model plugins (plugins/models/{trm,transformer} over the shared core
// plugins/models/common), loaded as a third party would (dlopen + hrm_plugin_negotiate, our own
// host table) and trained through hrm_train:
//   - the shipped configs' parameter counts against the published figures, per-arch config keys;
//   - descriptor, spec, schedule, carries and the training extension's flags;
//   - forward parity (1, 2 and 4 segments) and one training step (losses, every gradient) against
//     the PyTorch oracle tests/parity/trm_reference.py (fixtures from make_trm_fixtures.py);
//   - the backward against finite differences (T = 1: the differentiated recursion is the whole
//     segment, so the gradient is exact).
// The end-to-end runs through `hrm train` are in test_trm_runner.cpp (label slow).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "config.hpp"
#include "hrm/common/json.hpp"
#include "hrm/common/npy.hpp"
#include "hrm/common/safetensors.hpp"
#include "hrm/ext/draft/train.h"
#include "hrm/train/act.hpp"
#include "hrm/train/model.hpp"
#include "plugin_host.hpp"

using namespace hrm::common;
using test_host::exists;
using test_host::ModelPtr;
using test_host::read_text;
using test_host::View;
namespace tr = hrm::train;
namespace core = hrm::models::core;

namespace {

const test_host::Plugin &trm_plugin() {
    static test_host::Plugin p(HRM_TRM_PLUGIN);
    return p;
}
const test_host::Plugin &transformer_plugin() {
    static test_host::Plugin p(HRM_TRANSFORMER_PLUGIN);
    return p;
}
const test_host::Plugin &plugin_of(const std::string &fixture) {
    return fixture == "transformer" ? transformer_plugin() : trm_plugin();
}

hrm_code status_code(const hrm_status *s) { return s ? s->code : HRM_OK; }
const char *status_message(const hrm_status *s) { return s ? s->message.c_str() : ""; }
void status_free(hrm_status *s) { delete s; }
tr::StatusOps status_ops() { return {status_code, status_message, status_free}; }

core::Config load(const std::string &name) {
    const std::string path = std::string(HRM_SOURCE_DIR) + "/configs/models/" + name;
    return core::parse_config(read_text(path), path);
}

std::string error_of(const std::string &text, const std::string &arch) {
    try {
        core::parse_config(text, "test.toml", arch);
    } catch (const hrm::plugin::Error &e) {
        return e.what();
    }
    return "";
}

// max |a - b| / max |ref|, the parity metric of test_plugin.cpp.
double rel_err(const float *got, const float *ref, int64_t n) {
    double d = 0, mx = 0;
    for (int64_t i = 0; i < n; ++i) {
        d = std::max(d, std::fabs(double(got[i]) - double(ref[i])));
        mx = std::max(mx, std::fabs(double(ref[i])));
    }
    return d / std::max(mx, 1e-30);
}

std::string fixture_dir(const std::string &name) { return std::string(HRM_PARITY_DATA) + "/" + name; }

}  // namespace

// ---- configs ------------------------------------------------------------------------------------

TEST(TrmConfig, ShippedConfigsAndPublishedParameterCounts) {
    // peers.md 1.5: TRM-MLP Sudoku 5,028,866 and TRM-Att ARC 6,829,058 (puzzle table excluded).
    const core::Config sudoku = load("trm-sudoku.toml");
    EXPECT_EQ(sudoku.n_params(), 5028866);
    EXPECT_EQ(sudoku.prefix_len(), 16);
    EXPECT_EQ(sudoku.total_len(), 97);
    EXPECT_EQ(sudoku.mlp_t_size(), 512);   // ceil256(round(4·97·2/3) = 259)
    EXPECT_EQ(sudoku.grad_updates(), 7);   // n + 1 network calls with gradient
    EXPECT_EQ(load("trm-arc.toml").n_params(), 6829058);
    EXPECT_EQ(load("trm-maze.toml").n_params(), 6822914);
    // The transformer baseline has exactly HRM's budget (8 blocks of 3,407,872 + heads).
    EXPECT_EQ(load("transformer-sudoku.toml").n_params(), 27275266);
    EXPECT_EQ(load("transformer-sudoku.toml").n_params(), load("hrm-sudoku.toml").n_params());
    core::Config small = load("transformer-small.toml");
    EXPECT_EQ(small.n_params(), load("hrm-small.toml").n_params());
    // TRM-MLP Maze (L = 916, sequence SwiGLU 2560): 18,795,522 (peers.md 1.5).
    core::Config maze_mlp = load("trm-maze.toml");
    maze_mlp.mlp_t = true;
    maze_mlp.pos_encodings = "none";
    EXPECT_EQ(maze_mlp.n_params(), 18795522);
    // Segment cost: T(n+1) = 21 network calls of 2 blocks for TRM-MLP Sudoku.
    EXPECT_GT(sudoku.flops_per_segment(), 21 * 2 * 2.0 * 2359296 * 97);
    // Canonical TOML round-trips per arch.
    for (const char *name : {"trm-sudoku.toml", "trm-arc.toml", "transformer-sudoku.toml", "trm-small.toml"}) {
        const core::Config c = load(name);
        EXPECT_EQ(core::parse_config(c.to_toml(), name).to_toml(), c.to_toml()) << name;
    }
}

TEST(TrmConfig, KeysBelongToTheirArch) {
    EXPECT_NE(error_of("[model]\narch = \"trm\"\nh_layers = 2\n", "trm").find("test.toml:3: key 'h_layers' is not a [model] key of arch \"trm\""),
              std::string::npos);
    EXPECT_NE(error_of("[model]\nl_cycles = 2\n", "transformer").find("key 'l_cycles' is not a [model] key of arch \"transformer\""),
              std::string::npos);
    EXPECT_NE(error_of("[model]\nmlp_t = true\n", "trm").find("key 'pos_encodings'"), std::string::npos);   // rope + mlp_t
    EXPECT_NE(error_of("[model]\nmlp_t = 1\n", "trm").find("key 'mlp_t' must be true or false"), std::string::npos);
    EXPECT_NE(error_of("[model]\narch = \"rnn\"\n", "trm").find("key 'arch'"), std::string::npos);
    EXPECT_NE(error_of("[model]\npos_encodings = \"none\"\n", "hrm").find("key 'pos_encodings'"), std::string::npos);
    EXPECT_EQ(error_of("[model]\nmlp_t = true\npos_encodings = \"none\"\n", "trm"), "");
    // The plugins refuse another arch's config.
    std::string err;
    EXPECT_EQ(trm_plugin().create("[model]\narch = \"hrm\"\n", "", 0, &err), nullptr);
    EXPECT_NE(err.find("this is the trm model plugin"), std::string::npos) << err;
}

// ---- descriptor, spec, schedule ----------------------------------------------------------------

TEST(TrmPlugin, SpecScheduleCarriesAndFlags) {
    const std::string tiny = "[model]\nhidden_size = 16\nnum_heads = 2\nexpansion = 2.0\npuzzle_emb_ndim = 16\n"
                             "halt_max_steps = 3\nvocab_size = 7\nseq_len = 16\nnum_puzzle_identifiers = 2\n";
    struct Case {
        const test_host::Plugin *plugin;
        std::string config;
        const char *id;
        int32_t h, l;
        int64_t prefix, carries;
        uint32_t flags;
    } cases[] = {
        {&trm_plugin(), tiny + "layers = 2\nh_cycles = 3\nl_cycles = 2\n", "org.hrm-sdk.model.trm", 3, 2, 16, 2, HRM_TRAIN_NO_Q_CONTINUE},
        {&trm_plugin(), tiny + "no_act_continue = false\npuzzle_emb_len = 0\n", "org.hrm-sdk.model.trm", 3, 6, 1, 2, 0},
        {&transformer_plugin(), tiny + "layers = 3\n", "org.hrm-sdk.model.transformer", 1, 0, 1, 1, 0},
    };
    for (const Case &c : cases) {
        ModelPtr m(c.plugin->create(c.config, "", 3));
        EXPECT_STREQ(m->desc->id, c.id);
        hrm_model_spec s{};
        s.struct_size = sizeof s;
        test_host::check(m->get_spec(m.m, &s));
        EXPECT_EQ(s.h_cycles, c.h) << c.id;
        EXPECT_EQ(s.l_cycles, c.l) << c.id;
        EXPECT_EQ(s.prefix_len, c.prefix) << c.id;
        const auto *ext = static_cast<const hrm_model_train_ext *>(m->get_extension(m.m, HRM_EXT_TRAIN));
        ASSERT_NE(ext, nullptr);
        EXPECT_EQ(ext->carry_count(m.m), c.carries);
        ASSERT_NE(ext->train_flags, nullptr);
        EXPECT_EQ(ext->train_flags(m.m), c.flags);
        tr::ModelRef ref(m.m, status_ops());
        EXPECT_EQ(ref.train_flags(), c.flags);

        // One segment through the public schedule; q_continue reads 0 without a continue head.
        hrm_state *st = nullptr;
        test_host::check(m->state_create(m.m, 2, HRM_PRECISION_FP32, &st));
        std::vector<int32_t> tokens(32, 3), pids{0, 1};
        View<int32_t> tv(tokens, {2, 16}, HRM_DTYPE_I32), pv(pids, {2}, HRM_DTYPE_I32);
        test_host::check(m->reset(m.m, st, nullptr, nullptr));
        test_host::check(m->set_inputs(m.m, st, nullptr, tv.get(), pv.get()));
        test_host::check(hrm_model_run_segment(m.m, st, s.h_cycles, s.l_cycles));
        std::vector<float> q(4, -1.0f);
        View<float> qv(q, {2, 2}, HRM_DTYPE_F32);
        test_host::check(m->readout(m.m, st, nullptr, nullptr, qv.get()));
        if (c.flags & HRM_TRAIN_NO_Q_CONTINUE) EXPECT_EQ(q[1], 0.0f);
        else EXPECT_NE(q[1], 0.0f);
        // The transformer has no L update: a status, not a crash.
        hrm_status *bad = m->update(m.m, st, HRM_LEVEL_L);
        if (c.l == 0) {
            ASSERT_NE(bad, nullptr);
            EXPECT_EQ(bad->code, HRM_E_INVALID_ARG);
            EXPECT_NE(bad->message.find("no HRM_LEVEL_L update"), std::string::npos) << bad->message;
            delete bad;
        } else {
            test_host::check(bad);
        }
        m->state_free(m.m, st);
    }
}

// ---- parity with the PyTorch oracle ------------------------------------------------------------

class TrmParity : public ::testing::TestWithParam<const char *> {};

// The evaluation rollout: every row starts from the initial carry and runs K segments; logits and
// q after 1, 2 and 4 segments.
TEST_P(TrmParity, Forward) {
    const std::string name = GetParam(), d = fixture_dir(name);
    if (!exists(d + "/model.safetensors")) GTEST_SKIP() << "no fixture " << d;
    ModelPtr m(plugin_of(name).create("", d + "/model.safetensors"));
    const json::Value drift = json::parse(read_text(d + "/drift.json"), d + "/drift.json");
    hrm_model_spec s{};
    s.struct_size = sizeof s;
    test_host::check(m->get_spec(m.m, &s));
    std::vector<int32_t> tokens = read_npy(d + "/inputs.npy").as<int32_t>(DType::I32, "inputs");
    std::vector<int32_t> pids = read_npy(d + "/puzzle_ids.npy").as<int32_t>(DType::I32, "puzzle_ids");
    const int64_t B = int64_t(pids.size()), S = s.seq_len, V = s.vocab_size;
    hrm_state *st = nullptr;
    test_host::check(m->state_create(m.m, B, HRM_PRECISION_FP32, &st));
    View<int32_t> tv(tokens, {B, S}, HRM_DTYPE_I32), pv(pids, {B}, HRM_DTYPE_I32);
    test_host::check(m->reset(m.m, st, nullptr, nullptr));
    test_host::check(m->set_inputs(m.m, st, nullptr, tv.get(), pv.get()));
    std::vector<float> logits(size_t(B * S * V)), q(size_t(2 * B));
    View<float> lv(logits, {B, S, V}, HRM_DTYPE_F32), qv(q, {B, 2}, HRM_DTYPE_F32);
    for (int seg = 1; seg <= 4; ++seg) {
        test_host::check(hrm_model_run_segment(m.m, st, s.h_cycles, s.l_cycles));
        if (seg == 3) continue;
        test_host::check(m->readout(m.m, st, lv.get(), nullptr, qv.get()));
        const std::string k = std::to_string(seg);
        const auto ref_l = read_npy(d + "/logits_" + k + ".npy").as<float>(DType::F32, "logits");
        const auto ref_q = read_npy(d + "/q_" + k + ".npy").as<float>(DType::F32, "q");
        ASSERT_EQ(ref_l.size(), logits.size());
        const double el = rel_err(logits.data(), ref_l.data(), int64_t(logits.size()));
        double eq = 0;
        for (size_t i = 0; i < q.size(); ++i) eq = std::max(eq, std::fabs(double(q[i]) - ref_q[i]));
        // The bound scales with the fixture's conditioning: its own fp32 run against fp64
        // (drift.json); the sequence-MLP fixture amplifies rounding ~100x over 4 segments. That
        // drift is one sample of how far an fp32 summation order lands: each SIMD target and
        // oneDNN's AVX2 and AVX-512 kernels sum in other orders, and q of trm_mlp after 4 segments
        // came out at 1.9-3.7x its drift across the x86 targets (docs/kernels.md), hence 5x for q.
        const json::Value &dr = *drift.find("fp32_vs_fp64")->find(k);
        const double bl = std::max(seg == 1 ? 1e-5 : 1e-4, 3 * dr.find("rel_logit_diff")->number);
        const double bq = std::max(1e-4, 5 * dr.find("max_abs_q_diff")->number);
        std::printf("[trm] parity %s segment %d: logits %.3g (bound %.3g), q max abs %.3g (bound %.3g)\n", name.c_str(), seg,
                    el, bl, eq, bq);
        EXPECT_LE(el, bl) << name << " segment " << seg;
        EXPECT_LE(eq, bq) << name << " segment " << seg;
    }
    m->state_free(m.m, st);
}

// One training step of the engine's ACT (initial carry, no exploration) with the reference losses
// and every gradient; TRM runs without the bootstrap target (HRM_TRAIN_NO_Q_CONTINUE).
TEST_P(TrmParity, TrainingStep) {
    const std::string name = GetParam(), d = fixture_dir(name);
    if (!exists(d + "/step1_grads.safetensors")) GTEST_SKIP() << "no fixture " << d;
    const json::Value info = json::parse(read_text(d + "/train_step1.json"), "train_step1.json");
    auto num = [&](const char *key) { return info.find(key)->number; };
    const SafetensorsFile grads(d + "/step1_grads.safetensors");
    ModelPtr model(plugin_of(name).create(grads.metadata().at("config"), d + "/model.safetensors"));
    tr::ModelRef ref(model.m, status_ops());
    const auto &sp = ref.spec();
    tr::Batch batch;
    batch.inputs = read_npy(d + "/train_inputs.npy").as<int32_t>(DType::I32, "train_inputs");
    batch.labels = read_npy(d + "/train_labels.npy").as<int32_t>(DType::I32, "train_labels");
    batch.puzzle_ids = read_npy(d + "/train_puzzle_ids.npy").as<int32_t>(DType::I32, "train_puzzle_ids");
    const int64_t B = int64_t(batch.puzzle_ids.size());
    batch.rows = B;
    batch.seq_len = sp.seq_len;
    tr::ActConfig act;
    act.halt_max_steps = sp.halt_max_steps;
    act.exploration_prob = 0.0;
    act.global_batch = B;
    act.q_continue = !(ref.train_flags() & HRM_TRAIN_NO_Q_CONTINUE);
    EXPECT_EQ(act.q_continue, name == "transformer");
    tr::ActShard shard(ref, 0, B, HRM_PRECISION_FP32, act.q_continue);
    tr::ActCarry carry;
    carry.init(B, sp.seq_len);
    const std::vector<int32_t> min_halt(size_t(B), 0);
    const tr::ActSums sums = shard.step(carry, batch, min_halt.data(), act);
    EXPECT_NEAR(sums.lm_loss, num("lm_loss"), 1e-5 * num("lm_loss"));
    EXPECT_NEAR(sums.q_halt_loss, num("q_halt_loss"), 1e-5 * num("q_halt_loss"));
    EXPECT_NEAR(sums.q_continue_loss, num("q_continue_loss"), 1e-5 * std::max(1.0, num("q_continue_loss")));
    const json::Value &halted = *info.find("halted_after");
    for (int64_t r = 0; r < B; ++r) EXPECT_EQ(bool(carry.halted[size_t(r)]), halted.array[size_t(r)].boolean) << "row " << r;

    double worst = 0;
    std::string worst_name;
    int checked = 0;
    for (auto &p : ref.params()) {
        if (!p.trainable) continue;
        const TensorView &want = grads.get(p.name, DType::F32, p.shape);
        const hrm_tensor got = shard.state().grad(p.index);
        const double e = rel_err(static_cast<const float *>(got.data), static_cast<const float *>(want.data), p.numel);
        EXPECT_LE(e, 1e-4) << p.name;
        if (e > worst) worst = e, worst_name = p.name;
        ++checked;
    }
    EXPECT_EQ(int64_t(checked) + 1, int64_t(grads.tensors().size()));   // + the puzzle rows
    const tr::Param *table = ref.puzzle_table();
    ASSERT_NE(table, nullptr);
    const TensorView &want_pg = grads.get("inner.puzzle_emb.local_grad", DType::F32, {B, table->shape[1]});
    const double pe = rel_err(static_cast<const float *>(shard.state().puzzle_grad().data),
                              static_cast<const float *>(want_pg.data), B * table->shape[1]);
    EXPECT_LE(pe, 1e-4);
    std::printf("[trm] train parity %s: lm_loss %.9g (ref %.9g), q_halt_loss %.6g (ref %.6g); worst gradient %.3g (%s); "
                "puzzle rows %.3g\n",
                name.c_str(), sums.lm_loss, num("lm_loss"), sums.q_halt_loss, num("q_halt_loss"), worst, worst_name.c_str(), pe);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TrmParity, ::testing::Values("trm_mlp", "trm_att", "transformer"));

// ---- finite differences ---------------------------------------------------------------------------

namespace {

// f = Σ logits·Rl + Σ q·Rq of one segment_forward from a fixed random carry, with random q_head
// and puzzle rows; the backward must be its exact gradient when the whole segment is differentiated.
void grad_check(const test_host::Plugin &plugin, const std::string &config) {
    ModelPtr model(plugin.create(config, "", 5));
    tr::ModelRef ref(model.m, status_ops());
    const auto &sp = ref.spec();
    const int64_t B = 2;
    tr::State state(ref, B, HRM_PRECISION_FP32);
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto &p : ref.params())
        if (p.name.find("q_head") != std::string::npos || p.name.find("puzzle_emb") != std::string::npos)
            for (int64_t i = 0; i < p.numel; ++i) p.f32()[i] = 0.3f * normal(rng);
    ref.params_changed();
    std::vector<int32_t> tokens, pids{1, 0};
    for (int64_t i = 0; i < B * sp.seq_len; ++i) tokens.push_back(int32_t(rng() % uint32_t(sp.vocab_size)));
    state.reset({});
    std::vector<std::vector<float>> carry;
    for (int64_t i = 0; i < state.carry_count(); ++i) {
        carry.emplace_back(state.carry(i).nbytes / sizeof(float));
        for (float &v : carry.back()) v = normal(rng);
    }
    std::vector<float> rl(size_t(B * sp.seq_len * sp.vocab_size)), rq(size_t(2 * B)), logits(rl.size()), q(rq.size());
    for (float &v : rl) v = normal(rng);
    for (float &v : rq) v = normal(rng);
    auto f = [&] {
        for (size_t i = 0; i < carry.size(); ++i) std::memcpy(state.carry(int64_t(i)).data, carry[i].data(), carry[i].size() * 4);
        state.set_inputs(tokens.data(), pids.data());
        state.segment_forward(logits.data(), q.data());
        double s = 0;
        for (size_t i = 0; i < rl.size(); ++i) s += double(logits[i]) * rl[i];
        for (size_t i = 0; i < rq.size(); ++i) s += double(q[i]) * rq[i];
        return s;
    };
    state.grad_zero();
    f();
    state.segment_backward(rl.data(), rq.data());
    int kinds = 0;
    double worst = 0;
    for (auto &p : ref.params()) {
        std::vector<float> an;
        if (p.trainable) {
            const hrm_tensor t = state.grad(p.index);
            an.assign(static_cast<const float *>(t.data), static_cast<const float *>(t.data) + p.numel);
        } else if (p.name == "inner.puzzle_emb.weights") {
            const hrm_tensor t = state.puzzle_grad();
            const int64_t nd = p.shape[1];
            an.assign(size_t(p.numel), 0.0f);
            for (int64_t r = 0; r < B; ++r)
                for (int64_t k = 0; k < nd; ++k) an[size_t(pids[size_t(r)] * nd + k)] += static_cast<const float *>(t.data)[r * nd + k];
        } else {
            continue;
        }
        ++kinds;
        double mx = 0;
        size_t arg = 0;
        for (size_t i = 0; i < an.size(); ++i)
            if (std::fabs(an[i]) > mx) mx = std::fabs(an[i]), arg = i;
        // q_head row 1 has no gradient without a continue head; the table must still have one.
        ASSERT_GT(mx, 0.0) << p.name << ": zero gradient";
        std::vector<size_t> idx{arg};
        for (int k = 0; k < 16; ++k) idx.push_back(size_t(rng() % uint32_t(an.size())));
        float *v = p.f32();
        for (size_t i : idx) {
            const float v0 = v[i], h = 1e-2f;
            auto at = [&](float x) {
                v[i] = x;
                ref.params_changed();
                return f();
            };
            const double d1 = at(v0 + h) - at(v0 - h), d2 = at(v0 + 2 * h) - at(v0 - 2 * h);
            v[i] = v0;
            ref.params_changed();
            const double fd = (8 * d1 - d2) / (12 * double(h));
            worst = std::max(worst, std::fabs(fd - an[i]) / mx);
            EXPECT_LE(std::fabs(fd - an[i]), 2e-3 * mx + 1e-4) << p.name << "[" << i << "]: fd " << fd << ", backward " << an[i];
        }
    }
    std::printf("[trm] grad check: %d tensors, worst |fd - backward| / max|grad| = %.3g\n", kinds, worst);
}

const std::string kTiny = "[model]\nhidden_size = 16\nnum_heads = 2\nexpansion = 2.0\npuzzle_emb_ndim = 20\n"
                          "halt_max_steps = 2\nvocab_size = 7\nseq_len = 6\nnum_puzzle_identifiers = 2\n";

}  // namespace

// T = 1, n = 2: three applications of the shared 2-layer network, all differentiated.
TEST(TrmTrain, GradientMatchesFiniteDifferencesMlpT) {
    grad_check(trm_plugin(), kTiny + "layers = 2\nh_cycles = 1\nl_cycles = 2\nmlp_t = true\npos_encodings = \"none\"\npuzzle_emb_len = 2\n");
}
TEST(TrmTrain, GradientMatchesFiniteDifferencesAttention) {
    grad_check(trm_plugin(), kTiny + "layers = 2\nh_cycles = 1\nl_cycles = 2\npuzzle_emb_len = 0\nno_act_continue = false\n");
}
TEST(TrmTrain, GradientMatchesFiniteDifferencesTransformer) {
    grad_check(transformer_plugin(), kTiny + "layers = 2\npos_encodings = \"learned\"\n");
}
