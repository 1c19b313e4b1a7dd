// The HRM plugin's training extension (plugins/models/hrm/train.cpp) through the C ABI and the
// hrm_train engine:
//   - the backward of a whole segment against central finite differences on tiny fp32 models
//     (every parameter kind, RoPE and learned positions, a 1- and a 2-token puzzle prefix);
//   - parity of one reference training step with the PyTorch fixture (tests/data/parity/small:
//     losses, every gradient, the weights after AdamATan2 + SignSGD);
//   - a short real training run on generated 4x4 Sudokus in which the loss falls.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "hrm/common/json.hpp"
#include "hrm/common/npy.hpp"
#include "hrm/common/safetensors.hpp"
#include "hrm/train/act.hpp"
#include "hrm/train/engine.hpp"
#include "hrm/train/model.hpp"
#include "hrm/train/optimizer.hpp"
#include "plugin_host.hpp"

using namespace hrm::common;
using test_host::exists;
using test_host::ModelPtr;
using test_host::read_text;
namespace tr = hrm::train;

namespace {

const test_host::Plugin &plugin() {
    static test_host::Plugin p(HRM_MODEL_PLUGIN);
    return p;
}

// hrm_train reads statuses through StatusOps; the test host's statuses are plain structs.
hrm_code status_code(const hrm_status *s) { return s ? s->code : HRM_OK; }
const char *status_message(const hrm_status *s) { return s ? s->message.c_str() : ""; }
void status_free(hrm_status *s) { delete s; }
tr::StatusOps status_ops() { return {status_code, status_message, status_free}; }


// max |a - b| / max |ref| (the parity metric of tests/models/test_plugin.cpp).
double rel_err(const float *got, const float *ref, int64_t n) {
    double d = 0, mx = 0;
    for (int64_t i = 0; i < n; ++i) {
        d = std::max(d, std::fabs(double(got[i]) - double(ref[i])));
        mx = std::max(mx, std::fabs(double(ref[i])));
    }
    return d / std::max(mx, 1e-30);
}

// ---- 1. finite differences ------------------------------------------------------------------------

// A tiny model with random values everywhere (the fresh init has zero q_head and puzzle table,
// which would hide their gradients), a random carry and fixed inputs; f() is one segment_forward
// from that carry, reduced to the scalar Σ logits·Rl + Σ q·Rq (accumulated in double).
struct GradCheck {
    ModelPtr model;
    tr::ModelRef ref;
    tr::State state;
    int64_t B;
    std::vector<int32_t> tokens, pids;
    std::vector<float> zH, zL, rl, rq, logits, q;

    GradCheck(const std::string &config, std::vector<int32_t> puzzle_ids)
        : model(plugin().create(config, "", 5)), ref(model.m, status_ops()), state(ref, int64_t(puzzle_ids.size()), HRM_PRECISION_FP32),
          B(int64_t(puzzle_ids.size())), pids(std::move(puzzle_ids)) {
        const auto &sp = ref.spec();
        std::mt19937 rng(11);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (auto &p : ref.params()) {
            if (p.name.find("q_head") == std::string::npos && p.name.find("puzzle_emb") == std::string::npos) continue;
            float *v = p.f32();
            for (int64_t i = 0; i < p.numel; ++i) v[i] = 0.3f * normal(rng);
        }
        ref.params_changed();
        std::uniform_int_distribution<int32_t> tok(0, int32_t(sp.vocab_size - 1));
        for (int64_t i = 0; i < B * sp.seq_len; ++i) tokens.push_back(tok(rng));
        state.reset({});
        const auto c = state.carry(0);
        const size_t n = c.nbytes / sizeof(float);
        for (size_t i = 0; i < n; ++i) zH.push_back(normal(rng)), zL.push_back(normal(rng));
        for (int64_t i = 0; i < B * sp.seq_len * sp.vocab_size; ++i) rl.push_back(normal(rng));
        for (int64_t i = 0; i < B * 2; ++i) rq.push_back(normal(rng));
        logits.resize(rl.size());
        q.resize(rq.size());
    }

    double f() {
        std::memcpy(state.carry(0).data, zH.data(), zH.size() * sizeof(float));
        std::memcpy(state.carry(1).data, zL.data(), zL.size() * sizeof(float));
        state.set_inputs(tokens.data(), pids.data());   // re-embeds with the current weights
        state.segment_forward(logits.data(), q.data());
        double s = 0;
        for (size_t i = 0; i < rl.size(); ++i) s += double(logits[i]) * rl[i];
        for (size_t i = 0; i < rq.size(); ++i) s += double(q[i]) * rq[i];
        return s;
    }

    // Analytic: one forward + backward with dlogits = Rl, dq = Rq.
    void analytic() {
        state.grad_zero();
        f();
        state.segment_backward(rl.data(), rq.data());
    }

    // Fourth-order central difference of f in value v (h = 1e-2: truncation ~h⁴, fp32 noise of f
    // ~1e-6 / h).
    double fd(float &v) {
        const float v0 = v, h = 1e-2f;
        auto at = [&](float x) {
            v = x;
            ref.params_changed();
            return f();
        };
        const double d1 = at(v0 + h) - at(v0 - h), d2 = at(v0 + 2 * h) - at(v0 - 2 * h);
        v = v0;
        ref.params_changed();
        return (8 * d1 - d2) / (12 * double(h));
    }
};

// Checks, for every trainable tensor and the puzzle table, 24 random entries and the entry of the
// largest analytic gradient: |fd - analytic| <= 2e-3·max|analytic of the tensor| + 1e-4.
void grad_check(const std::string &config, std::vector<int32_t> pids) {
    GradCheck g(config, pids);
    g.analytic();
    std::mt19937 rng(3);
    int checked_kinds = 0, expected_kinds = g.ref.puzzle_table() ? 1 : 0;
    double worst = 0;
    for (auto &p : g.ref.params()) {
        std::vector<float> an;
        if (p.trainable) {
            ++expected_kinds;
            const hrm_tensor t = g.state.grad(p.index);
            ASSERT_EQ(tr::numel(t), p.numel) << p.name;
            an.assign(static_cast<const float *>(t.data), static_cast<const float *>(t.data) + p.numel);
        } else if (p.name == "inner.puzzle_emb.weights") {
            // Table row id gets the sum of the per-row gradients of the rows with that id (spec 3.5).
            const hrm_tensor t = g.state.puzzle_grad();
            const int64_t nd = p.shape[1];
            an.assign(size_t(p.numel), 0.0f);
            for (int64_t r = 0; r < g.B; ++r)
                for (int64_t k = 0; k < nd; ++k) an[size_t(g.pids[size_t(r)] * nd + k)] += static_cast<const float *>(t.data)[r * nd + k];
        } else {
            continue;   // H_init / L_init: buffers, and the carry is set directly here
        }
        ++checked_kinds;
        double mx = 0;
        size_t arg = 0;
        for (size_t i = 0; i < an.size(); ++i)
            if (std::fabs(an[i]) > mx) mx = std::fabs(an[i]), arg = i;
        ASSERT_GT(mx, 0.0) << p.name << ": zero gradient";
        std::vector<size_t> idx{arg};
        std::uniform_int_distribution<size_t> pick(0, an.size() - 1);
        for (int k = 0; k < 24; ++k) idx.push_back(pick(rng));
        float *v = p.f32();
        for (size_t i : idx) {
            const double fd = g.fd(v[i]);
            const double err = std::fabs(fd - an[i]);
            worst = std::max(worst, err / mx);
            EXPECT_LE(err, 2e-3 * mx + 1e-4) << p.name << "[" << i << "]: finite difference " << fd << ", backward " << an[i];
        }
    }
    EXPECT_EQ(checked_kinds, expected_kinds);
    std::printf("[train] grad check: %d tensors, worst |fd - backward| / max|grad| = %.3g\n", checked_kinds, worst);
}

// hidden 16, 2 heads, 1+1 layers; one L and one H update per segment, so the one-step gradient is
// the exact gradient of the segment given its (detached) carry.
std::string tiny_config(const std::string &pos, int64_t puzzle_ndim) {
    return "[model]\nhidden_size = 16\nnum_heads = 2\nexpansion = 2.0\nh_layers = 1\nl_layers = 1\nh_cycles = 1\n"
           "l_cycles = 1\npos_encodings = \"" + pos + "\"\npuzzle_emb_ndim = " + std::to_string(puzzle_ndim) +
           "\nhalt_max_steps = 2\nvocab_size = 7\nseq_len = 5\nnum_puzzle_identifiers = 3\n";
}

}  // namespace

TEST(Train, GradientMatchesFiniteDifferencesRope) { grad_check(tiny_config("rope", 16), {2, 0, 2}); }
// Learned positions and a 24-wide puzzle row zero-padded to two prefix tokens.
TEST(Train, GradientMatchesFiniteDifferencesLearned) { grad_check(tiny_config("learned", 24), {1, 1}); }
// No puzzle embedding: position 0 is a token, read by both heads.
TEST(Train, GradientMatchesFiniteDifferencesNoPuzzle) { grad_check(tiny_config("rope", 0), {0, 0}); }

TEST(Train, ExtensionContract) {
    std::string cfg = tiny_config("rope", 16);
    cfg.replace(cfg.find("h_cycles = 1"), 12, "h_cycles = 2");
    cfg.replace(cfg.find("l_cycles = 1"), 12, "l_cycles = 3");
    ModelPtr model(plugin().create(cfg, "", 9));
    tr::ModelRef ref(model.m, status_ops());
    const auto &sp = ref.spec();
    const int64_t B = 2;
    std::vector<int32_t> tokens(size_t(B * sp.seq_len)), pids{0, 1};
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = int32_t(i % size_t(sp.vocab_size));

    // A training segment computes what an inference segment computes (same schedule, same carry).
    tr::State a(ref, B, HRM_PRECISION_FP32), b(ref, B, HRM_PRECISION_FP32);
    std::vector<float> la(size_t(B * sp.seq_len * sp.vocab_size)), lb(la.size()), qa(size_t(2 * B)), qb(qa.size());
    for (tr::State *s : {&a, &b}) {
        s->reset({});
        s->set_inputs(tokens.data(), pids.data());
    }
    for (int seg = 0; seg < 2; ++seg) {
        a.segment_forward(la.data(), qa.data());
        b.segment_infer(lb.data(), qb.data());
        EXPECT_LE(rel_err(la.data(), lb.data(), int64_t(la.size())), 1e-6);
        EXPECT_LE(rel_err(qa.data(), qb.data(), int64_t(qa.size())), 1e-6);
    }
    ASSERT_EQ(a.carry_count(), 2);
    EXPECT_EQ(a.carry(0).name, "z_H");
    EXPECT_EQ(a.carry(1).name, "z_L");
    EXPECT_EQ(a.carry(0).shape, (std::vector<int64_t>{B, sp.seq_len + sp.prefix_len, sp.hidden_size}));

    // Gradients accumulate until grad_zero: two identical segments give twice the gradient.
    std::vector<float> dl(la.size(), 0.01f), dq(qa.size(), 0.5f);
    auto segment = [&] {
        a.reset({});
        a.set_inputs(tokens.data(), pids.data());
        a.segment_forward(la.data(), qa.data());
        a.segment_backward(dl.data(), dq.data());
    };
    a.grad_zero();
    segment();
    const int64_t lm = 3;   // inner.lm_head.weight
    ASSERT_EQ(ref.params()[lm].name, "inner.lm_head.weight");
    std::vector<float> once(static_cast<const float *>(a.grad(lm).data), static_cast<const float *>(a.grad(lm).data) + ref.params()[lm].numel);
    segment();
    const float *twice = static_cast<const float *>(a.grad(lm).data);
    for (size_t i = 0; i < once.size(); ++i) ASSERT_FLOAT_EQ(twice[i], 2 * once[i]);
    // The backward releases the saved activations: a second one needs a new forward.
    EXPECT_THROW(a.segment_backward(dl.data(), dq.data()), tr::Error);
    a.grad_zero();
    for (int64_t i = 0; i < ref.params()[lm].numel; ++i) ASSERT_EQ(static_cast<const float *>(a.grad(lm).data)[i], 0.0f);

    // Errors: buffers have no gradient; backward needs a forward.
    tr::State c(ref, B, HRM_PRECISION_FP32);
    EXPECT_THROW(c.segment_backward(dl.data(), dq.data()), tr::Error);
    EXPECT_THROW(c.grad(0), tr::Error);   // inner.H_init

    // bf16 states train too (bf16 forward, fp32 gradients): the training forward is the bf16
    // inference forward, and the carry views are BF16.
    tr::State h(ref, B, HRM_PRECISION_BF16), hi(ref, B, HRM_PRECISION_BF16);
    for (tr::State *s : {&h, &hi}) {
        s->reset({});
        s->set_inputs(tokens.data(), pids.data());
    }
    EXPECT_EQ(h.carry(0).dtype, HRM_DTYPE_BF16);
    for (int seg = 0; seg < 2; ++seg) {
        h.segment_forward(la.data(), qa.data());
        hi.segment_infer(lb.data(), qb.data());
        EXPECT_LE(rel_err(la.data(), lb.data(), int64_t(la.size())), 1e-2);
    }
    h.grad_zero();
    h.segment_backward(dl.data(), dq.data());
    EXPECT_EQ(h.grad(lm).dtype, HRM_DTYPE_F32);
}

// ---- 2. parity with the PyTorch training step ---------------------------------------------------

TEST(Train, ParityWithReferenceStep) {
    const std::string dir = std::string(HRM_PARITY_DATA) + "/small";
    if (!exists(dir + "/step1_grads.safetensors")) GTEST_SKIP() << "no training fixture";
    const json::Value info = json::parse(read_text(dir + "/train_step1.json"), "train_step1.json");
    const json::Value &hp = *info.find("hparams");
    auto num = [](const json::Value &v, const char *key) { return v.find(key)->number; };
    const SafetensorsFile grads(dir + "/step1_grads.safetensors"), after(dir + "/step1.safetensors");

    // The start weights with the fixture's training config (halt_exploration_prob = 0).
    ModelPtr model(plugin().create(after.metadata().at("config"), dir + "/model.safetensors"));
    tr::ModelRef ref(model.m, status_ops());
    const auto &sp = ref.spec();
    const std::vector<int32_t> inputs = read_npy(dir + "/train_inputs.npy").as<int32_t>(DType::I32, "train_inputs.npy");
    const std::vector<int32_t> labels = read_npy(dir + "/train_labels.npy").as<int32_t>(DType::I32, "train_labels.npy");
    const std::vector<int32_t> pids = read_npy(dir + "/train_puzzle_ids.npy").as<int32_t>(DType::I32, "train_puzzle_ids.npy");
    const int64_t B = int64_t(pids.size());
    ASSERT_EQ(int64_t(num(hp, "global_batch_size")), B);

    // One ACT step of the engine (spec 2.2 training branch: initial carry, all rows halted, no
    // exploration) with the reference losses (spec 2.3) and its backward.
    tr::ActShard shard(ref, 0, B, HRM_PRECISION_FP32, true);
    tr::ActCarry carry;
    carry.init(B, sp.seq_len);
    tr::Batch batch;
    batch.rows = B;
    batch.seq_len = sp.seq_len;
    batch.inputs = inputs;
    batch.labels = labels;
    batch.puzzle_ids = pids;
    tr::ActConfig act;
    act.halt_max_steps = sp.halt_max_steps;
    act.exploration_prob = 0.0;
    act.loss = tr::LossType::Stablemax;
    act.global_batch = B;
    const std::vector<int32_t> min_halt(size_t(B), 0);
    const tr::ActSums sums = shard.step(carry, batch, min_halt.data(), act);
    EXPECT_NEAR(sums.lm_loss, num(info, "lm_loss"), 1e-4 * num(info, "lm_loss"));
    EXPECT_NEAR(sums.q_halt_loss, num(info, "q_halt_loss"), 1e-4 * num(info, "q_halt_loss"));
    EXPECT_NEAR(sums.q_continue_loss, num(info, "q_continue_loss"), 1e-4 * num(info, "q_continue_loss"));

    // Every gradient within 1e-4 of the tensor's largest |gradient|.
    double worst = 0;
    std::string worst_name;
    std::vector<std::vector<float>> g_ours;
    for (auto &p : ref.params()) {
        if (!p.trainable) {
            g_ours.emplace_back();
            continue;
        }
        const TensorView &want = grads.get(p.name, DType::F32, p.shape);
        const hrm_tensor got = shard.state().grad(p.index);
        g_ours.emplace_back(static_cast<const float *>(got.data), static_cast<const float *>(got.data) + p.numel);
        const double e = rel_err(g_ours.back().data(), static_cast<const float *>(want.data), p.numel);
        EXPECT_LE(e, 1e-4) << p.name;
        if (e > worst) worst = e, worst_name = p.name;
    }
    const tr::Param *table = ref.puzzle_table();
    ASSERT_NE(table, nullptr);
    const TensorView &want_pg = grads.get("inner.puzzle_emb.local_grad", DType::F32, {B, table->shape[1]});
    const hrm_tensor pg = shard.state().puzzle_grad();
    const std::vector<float> pgrad(static_cast<const float *>(pg.data), static_cast<const float *>(pg.data) + B * table->shape[1]);
    const double pe = rel_err(pgrad.data(), static_cast<const float *>(want_pg.data), B * table->shape[1]);
    EXPECT_LE(pe, 1e-4) << "inner.puzzle_emb.local_grad";
    std::printf("[train] parity small: lm_loss %.9g (ref %.9g); worst gradient %.3g (%s); puzzle rows %.3g\n", sums.lm_loss,
                num(info, "lm_loss"), worst, worst_name.c_str(), pe);

    // The same step with a bf16 forward (spec 1.7 emulation) and fp32 gradients: reported, with a
    // loose bound (bf16 rounding of every activation, ~4e-3 relative each).
    {
        tr::ActShard bf(ref, 0, B, HRM_PRECISION_BF16, true);
        tr::ActCarry bc;
        bc.init(B, sp.seq_len);
        const tr::ActSums bs = bf.step(bc, batch, min_halt.data(), act);
        double worst_bf = 0;
        std::string worst_bf_name;
        for (auto &p : ref.params()) {
            if (!p.trainable) continue;
            const hrm_tensor got = bf.state().grad(p.index);
            const double e = rel_err(static_cast<const float *>(got.data),
                                     static_cast<const float *>(grads.get(p.name).data), p.numel);
            if (e > worst_bf) worst_bf = e, worst_bf_name = p.name;
        }
        std::printf("[train] parity small, bf16 forward: lm_loss %.6g; worst gradient %.3g (%s)\n", bs.lm_loss, worst_bf,
                    worst_bf_name.c_str());
        EXPECT_NEAR(bs.lm_loss, num(info, "lm_loss"), 1e-2 * num(info, "lm_loss"));
        EXPECT_LE(worst_bf, 0.1);
    }

    // One optimizer step as the engine does it (spec 3.3, 3.5), then every tensor of step1.safetensors.
    const double lr = num(info, "lr"), plr = num(info, "puzzle_emb_lr");
    tr::signsgd_sparse(table->f32(), table->shape[0], table->shape[1], pids.data(), pgrad.data(), B, plr,
                       num(hp, "puzzle_emb_weight_decay"));
    tr::AdamATan2 adam;
    adam.beta1 = num(hp, "beta1");
    adam.beta2 = num(hp, "beta2");
    adam.weight_decay = num(hp, "weight_decay");
    std::vector<int64_t> sizes;
    for (auto &p : ref.params())
        if (p.trainable) sizes.push_back(p.numel);
    adam.init(sizes);
    adam.begin_step();
    size_t j = 0;
    for (auto &p : ref.params())
        if (p.trainable) adam.update(j++, p.f32(), g_ours[size_t(p.index)].data(), lr);
    ref.params_changed();
    double worst_w = 0;
    for (auto &p : ref.params()) {
        if (p.tensor.dtype != HRM_DTYPE_F32) continue;   // H_init / L_init are not trained
        const TensorView &want = after.get(p.name, DType::F32, p.shape);
        const double e = rel_err(p.f32(), static_cast<const float *>(want.data), p.numel);
        EXPECT_LE(e, 1e-4) << p.name << " after one step";
        worst_w = std::max(worst_w, e);
    }
    std::printf("[train] parity small: worst weight after one step %.3g\n", worst_w);
}

// ---- 3. a real training run ---------------------------------------------------------------------

namespace {

// 4x4 Sudokus in the reference encoding (spec 4.2 scaled down): 0 = pad, 1 = blank, 2..5 = digits
// 1..4; labels are the solution. A valid base grid under random digit relabelling, band/stack
// swaps, row/column swaps inside them and transposition, with 4..8 cells blanked.
hrm::data::Split sudoku4(int64_t n, uint64_t seed) {
    hrm::data::Metadata meta;
    meta.vocab_size = 6;
    meta.seq_len = 16;
    meta.num_puzzle_identifiers = 1;
    hrm::data::SplitBuilder b(meta);
    std::mt19937_64 rng(seed);
    const int base[4][4] = {{0, 1, 2, 3}, {2, 3, 0, 1}, {1, 0, 3, 2}, {3, 2, 1, 0}};
    for (int64_t e = 0; e < n; ++e) {
        std::vector<int> digit{0, 1, 2, 3}, rows{0, 1, 2, 3}, cols{0, 1, 2, 3};
        std::shuffle(digit.begin(), digit.end(), rng);
        auto perm = [&](std::vector<int> &v) {
            if (rng() & 1) std::swap(v[0], v[2]), std::swap(v[1], v[3]);   // bands / stacks
            if (rng() & 1) std::swap(v[0], v[1]);
            if (rng() & 1) std::swap(v[2], v[3]);
        };
        perm(rows);
        perm(cols);
        const bool transpose = rng() & 1;
        std::vector<int32_t> in(16), lab(16);
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) {
                const int v = transpose ? base[cols[size_t(c)]][rows[size_t(r)]] : base[rows[size_t(r)]][cols[size_t(c)]];
                lab[size_t(r * 4 + c)] = in[size_t(r * 4 + c)] = 2 + digit[size_t(v)];
            }
        std::vector<int> cells(16);
        for (int i = 0; i < 16; ++i) cells[size_t(i)] = i;
        std::shuffle(cells.begin(), cells.end(), rng);
        const int blanks = 4 + int(rng() % 5);
        for (int i = 0; i < blanks; ++i) in[size_t(cells[size_t(i)])] = 1;
        b.begin_group();
        b.add_puzzle(0, in, lab);
    }
    return b.finish();
}

}  // namespace

TEST(Train, LearnsSudoku4x4) {
    const hrm::data::Split train = sudoku4(2000, 1), test = sudoku4(64, 2);
    ModelPtr model(plugin().create("[model]\nhidden_size = 32\nnum_heads = 2\nexpansion = 2.0\nh_layers = 1\nl_layers = 1\n"
                                   "h_cycles = 1\nl_cycles = 2\npuzzle_emb_ndim = 32\nhalt_max_steps = 2\nvocab_size = 6\n"
                                   "seq_len = 16\nnum_puzzle_identifiers = 1\n",
                                   "", 1));
    tr::ModelRef ref(model.m, status_ops());
    tr::EngineConfig cfg;
    cfg.global_batch_size = 32;
    cfg.shard_size = 16;
    cfg.steps = 120;
    cfg.lr = 3e-3;
    cfg.lr_warmup_steps = 10;
    cfg.weight_decay = 0.1;
    cfg.puzzle_emb_lr = 1e-3;
    cfg.threads = 2;
    tr::Engine engine(ref, cfg, &train, &test);
    const tr::EvalMetrics before = engine.evaluate();
    double first = 0, last = 0;
    int step = 0;
    while (!engine.done()) {
        const auto m = engine.train_step();
        ASSERT_TRUE(m.has_value());
        ASSERT_TRUE(std::isfinite(m->loss));
        if (++step <= 10) first += m->lm_loss / 10;
        if (step > cfg.steps - 10) last += m->lm_loss / 10;
    }
    const tr::EvalMetrics after = engine.evaluate();
    std::printf("[train] sudoku4: lm_loss %.4f -> %.4f over %d steps; test token accuracy %.3f -> %.3f, exact %.3f -> %.3f\n",
                first, last, step, before.accuracy, after.accuracy, before.exact_accuracy, after.exact_accuracy);
    EXPECT_LT(last, 0.7 * first);
    EXPECT_GT(after.accuracy, before.accuracy + 0.1);
}
