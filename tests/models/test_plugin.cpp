// The HRM model plugin through the C ABI: spec/param table, parity with the PyTorch fixtures
// (tests/data/parity, written by tests/parity/hrm_reference.py), argument checking, and
// independence of states stepped from two threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "hrm/common/json.hpp"
#include "hrm/common/npy.hpp"
#include "hrm/common/safetensors.hpp"
#include "hrm/common/torch_zip.hpp"
#include "plugin_host.hpp"

using namespace hrm::common;
using test_host::exists;
using test_host::ModelPtr;
using test_host::read_text;
using test_host::check;
using test_host::View;

namespace {

const test_host::Plugin &plugin() {
    static test_host::Plugin p(HRM_MODEL_PLUGIN);
    return p;
}


hrm_model_spec spec_of(const hrm_model *m) {
    hrm_model_spec s{};
    s.struct_size = sizeof s;
    check(m->get_spec(m, &s), "get_spec");
    return s;
}

// Runs `segments` ACT segments from the initial carry (spec 2.2 eval: every row runs the full
// schedule; hrm_model.h: L×l_cycles then H, h_cycles times) and reads out after the segments
// listed in `record`.
struct Outputs {
    std::vector<float> logits, q;
    std::vector<int32_t> pred;
};

std::vector<Outputs> rollout(const hrm_model *m, hrm_precision prec, std::vector<int32_t> inputs, std::vector<int32_t> pids,
                             int64_t batch, std::vector<int> record) {
    const hrm_model_spec sp = spec_of(m);
    hrm_state *st = nullptr;
    check(m->state_create(m, batch, prec, &st), "state_create");
    View<int32_t> tok(inputs, {batch, sp.seq_len}, HRM_DTYPE_I32), pid(pids, {batch}, HRM_DTYPE_I32);
    check(m->reset(m, st, nullptr, nullptr), "reset");
    check(m->set_inputs(m, st, nullptr, tok.get(), pid.get()), "set_inputs");
    std::vector<Outputs> out;
    const int last = *std::max_element(record.begin(), record.end());
    for (int seg = 1; seg <= last; ++seg) {
        for (int h = 0; h < sp.h_cycles; ++h) {
            for (int l = 0; l < sp.l_cycles; ++l) check(m->update(m, st, HRM_LEVEL_L), "update L");
            check(m->update(m, st, HRM_LEVEL_H), "update H");
        }
        if (std::find(record.begin(), record.end(), seg) == record.end()) continue;
        Outputs o;
        o.logits.resize(size_t(batch * sp.seq_len * sp.vocab_size));
        o.q.resize(size_t(batch * 2));
        o.pred.resize(size_t(batch * sp.seq_len));
        View<float> lg(o.logits, {batch, sp.seq_len, sp.vocab_size}, HRM_DTYPE_F32), q(o.q, {batch, 2}, HRM_DTYPE_F32);
        View<int32_t> pr(o.pred, {batch, sp.seq_len}, HRM_DTYPE_I32);
        check(m->readout(m, st, lg.get(), pr.get(), q.get()), "readout");
        out.push_back(std::move(o));
    }
    m->state_free(m, st);
    return out;
}

// max |a - b| / max |ref|: the parity metric of the brief.
double rel_err(const std::vector<float> &got, const std::vector<float> &ref) {
    double d = 0, mx = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        d = std::max(d, std::fabs(double(got[i]) - double(ref[i])));
        mx = std::max(mx, std::fabs(double(ref[i])));
    }
    return d / std::max(mx, 1e-30);
}
double abs_err(const std::vector<float> &got, const std::vector<float> &ref) {
    double d = 0;
    for (size_t i = 0; i < ref.size(); ++i) d = std::max(d, std::fabs(double(got[i]) - double(ref[i])));
    return d;
}
double agreement(const std::vector<int32_t> &a, const std::vector<int32_t> &b) {
    size_t same = 0;
    for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
    return double(same) / double(a.size());
}

struct Fixture {
    std::string dir;
    std::vector<int32_t> inputs, pids;
    int64_t batch = 0;
};

Fixture fixture(const std::string &name) {
    Fixture f;
    f.dir = std::string(HRM_PARITY_DATA) + "/" + name;
    NpyArray in = read_npy(f.dir + "/inputs.npy");
    f.inputs = in.as<int32_t>(DType::I32, "inputs.npy");
    f.batch = in.shape[0];
    f.pids = read_npy(f.dir + "/puzzle_ids.npy").as<int32_t>(DType::I32, "puzzle_ids.npy");
    return f;
}

std::vector<float> npy_f32(const std::string &path) { return read_npy(path).as<float>(DType::F32, path); }

// drift.json (make_fixtures.py) measures how ill-conditioned a fixture is: `key` compares two
// implementations of the same model (fp32 vs fp64, torch bf16 vs the bf16 emulation) per segment.
// Returns the entry's `field` at `segment`, or `fallback` when absent.
double drift(const std::string &dir, const std::string &key, int segment, const std::string &field, double fallback) {
    if (!exists(dir + "/drift.json")) return fallback;
    const json::Value doc = json::parse(read_text(dir + "/drift.json"), dir + "/drift.json");
    const json::Value *list = doc.find(key);
    if (!list || !list->is_array()) return fallback;
    for (const auto &e : list->array) {
        const json::Value *seg = e.find("segment"), *v = e.find(field);
        if (seg && v && seg->number == segment) return v->number;
    }
    return fallback;
}

// fp32 reference mode: logits and q within 1e-4 of the largest |logit| after 1 segment. After 16
// segments the random-init fixtures are chaotic: the reference's own fp32 run differs from an
// fp64 run by drift.json "fp32_vs_fp64" (1.2e-4 .. 1.2e-2 relative), so no fp32 implementation
// that is not bit-identical to PyTorch can be closer than that; the bound there is
// max(1e-4, 3 x that drift) and the argmax agreement must be at least the fp64 run's.
void fp32_parity(const std::string &name) {
    const Fixture f = fixture(name);
    if (!exists(f.dir + "/logits_16.npy")) GTEST_SKIP() << name << ": no fp32 outputs in the fixture";
    ModelPtr m(plugin().create("", f.dir + "/model.safetensors"));
    auto out = rollout(m.m, HRM_PRECISION_FP32, f.inputs, f.pids, f.batch, {1, 16});
    for (int k = 0; k < 2; ++k) {
        const int seg = k == 0 ? 1 : 16;
        const auto ref_logits = npy_f32(f.dir + "/logits_" + std::to_string(seg) + ".npy");
        const auto ref_q = npy_f32(f.dir + "/q_" + std::to_string(seg) + ".npy");
        const double e = rel_err(out[size_t(k)].logits, ref_logits);
        double qmax = 1.0;
        for (float v : ref_q) qmax = std::max(qmax, double(std::fabs(v)));
        const double eq = abs_err(out[size_t(k)].q, ref_q) / qmax;
        const double fixture_drift = drift(f.dir, "fp32_vs_fp64", seg, "rel_to_max_logit", 0.0);
        const double tol = seg == 1 ? 1e-4 : std::max(1e-4, 3.0 * fixture_drift);
        std::printf("[parity] %s fp32 segment %d: logits %.3g, q %.3g (max|diff| / max|ref|); fixture fp32-vs-fp64 "
                    "drift %.3g; bound %.3g\n", name.c_str(), seg, e, eq, fixture_drift, tol);
        EXPECT_LT(e, tol) << name << " segment " << seg;
        EXPECT_LT(eq, tol) << name << " segment " << seg;
    }
    if (exists(f.dir + "/pred_16.npy")) {
        const auto pred = read_npy(f.dir + "/pred_16.npy").as<int32_t>(DType::I32, "pred_16.npy");
        const double agree = agreement(out[1].pred, pred);
        const double floor = drift(f.dir, "fp32_vs_fp64", 16, "argmax_agreement", 1.0);
        std::printf("[parity] %s fp32 segment 16: argmax agreement %.4f (fp64 run: %.4f)\n", name.c_str(), agree, floor);
        EXPECT_GE(agree, floor - 0.005);
    }
}

// bf16 mode against the reference's bf16 rounding emulation (bf16_*.npy). Both round at the
// points of spec 1.7, but fp32 accumulation orders differ (oneDNN / AVX512-BF16 vs PyTorch) and the
// bf16 attention kernel rounds P to bf16 before P·V as flash-attention does, so single bf16
// roundings flip and attention spreads them: two bf16 implementations differ by ~2% after one
// segment (drift.json "bf16_native_vs_bf16"). The bound is 2 x that noise floor (0.05 without it).
// After 16 segments bf16 runs are uncorrelated on these chaotic fixtures (even bf16 vs fp32 is
// ~100%), so segment 16 is only checked for finiteness and reported.
void bf16_parity(const std::string &name) {
    const Fixture f = fixture(name);
    if (!exists(f.dir + "/bf16_logits_1.npy")) GTEST_SKIP() << name << ": no bf16 outputs in the fixture";
    ModelPtr m(plugin().create("", f.dir + "/model.safetensors"));
    auto out = rollout(m.m, HRM_PRECISION_BF16, f.inputs, f.pids, f.batch, {1, 2, 16});
    for (int k = 0; k < 2; ++k) {
        const int seg = k + 1;
        const std::string ref = f.dir + "/bf16_logits_" + std::to_string(seg) + ".npy";
        if (!exists(ref)) continue;
        const double e = rel_err(out[size_t(k)].logits, npy_f32(ref));
        const double floor = drift(f.dir, "bf16_native_vs_bf16", seg, "rel_to_max_logit", 0.025);
        std::printf("[parity] %s bf16 segment %d: logits %.3g (noise floor between bf16 implementations %.3g)\n",
                    name.c_str(), seg, e, floor);
        EXPECT_LT(e, 2.0 * floor) << name << " segment " << seg;
    }
    for (float v : out[2].logits) ASSERT_TRUE(std::isfinite(v));
    if (exists(f.dir + "/bf16_logits_16.npy"))
        std::printf("[parity] %s bf16 segment 16: logits %.3g (reported only)\n", name.c_str(),
                    rel_err(out[2].logits, npy_f32(f.dir + "/bf16_logits_16.npy")));
}

// ---- contractive fixtures (make_fixtures.py CONTRACTIVE) -----------------------------------------

uint64_t splitmix64(uint64_t x) {   // make_fixtures.py _splitmix64
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t fnv1a64(const std::string &s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

// These fixtures store the recipe of their weights (weights.json: make_fixtures.py
// generated_tensor, spec in docs/parity.md) instead of the weights, so a hidden-512 model costs a
// few kB. Rebuilds them bit for bit into a checkpoint at `path` (the model then loads it like any
// other, reading its F32 tensors in place).
void write_generated_checkpoint(const std::string &dir, const std::string &path) {
    const json::Value doc = json::parse(read_text(dir + "/weights.json"), dir + "/weights.json");
    ASSERT_EQ(doc.find("generator")->string, "hrm-sdk/splitmix64-uniform/1");
    const uint64_t seed = uint64_t(doc.find("seed")->integer);
    std::vector<std::vector<float>> f32;
    std::vector<std::vector<uint16_t>> bf16;
    std::vector<TensorRef> refs;
    for (const json::Value &t : doc.find("tensors")->array) {
        TensorRef r;
        r.name = t.find("name")->string;
        for (const json::Value &d : t.find("shape")->array) r.shape.push_back(d.integer);
        const int64_t n = numel(r.shape);
        const uint64_t key = fnv1a64(r.name) ^ seed;
        if (t.find("dtype")->string == "BF16") {
            // ((u >> 56) - 128) / 128 is exact in bf16: its bits are the float's upper half.
            std::vector<uint16_t> v(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i) {
                const float x = float(int64_t(splitmix64(key + uint64_t(i)) >> 56) - 128) * (1.0f / 128.0f);
                uint32_t bits;
                std::memcpy(&bits, &x, 4);
                v[size_t(i)] = uint16_t(bits >> 16);
            }
            r.dtype = DType::BF16;
            bf16.push_back(std::move(v));
            r.data = bf16.back().data();
        } else {
            const float scale = float(t.find("scale")->number);
            std::vector<float> v(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i) {
                const float k = float(int64_t(splitmix64(key + uint64_t(i)) >> 40) - (int64_t(1) << 23));   // exact
                v[size_t(i)] = k * 0x1p-23f * scale;   // k·2^-23 is exact: one rounding, as in numpy
            }
            r.dtype = DType::F32;
            f32.push_back(std::move(v));
            r.data = f32.back().data();
        }
        refs.push_back(std::move(r));
    }
    write_safetensors(path, refs, {{"format", "hrm-sdk/1"}, {"config", read_text(dir + "/config.toml")}});
}

// The bound: fp32 within 1e-4 of the largest |logit| after 1 and after 16 segments. On
// these contractive fixtures the reference's own fp32-vs-fp64 drift stays ~1e-6 over the 16
// segments (drift.json), so the bound is not drift-scaled; argmax must agree on every cell.
void fp32_contractive_parity(const std::string &name) {
    const Fixture f = fixture(name);
    const std::string path = ::testing::TempDir() + "hrm_parity_" + std::to_string(::getpid()) + "_" + name + ".safetensors";
    write_generated_checkpoint(f.dir, path);
    if (::testing::Test::HasFatalFailure()) return;
    std::vector<Outputs> out;
    {
        ModelPtr m(plugin().create("", path));
        out = rollout(m.m, HRM_PRECISION_FP32, f.inputs, f.pids, f.batch, {1, 16});
    }
    std::remove(path.c_str());
    for (int k = 0; k < 2; ++k) {
        const int seg = k == 0 ? 1 : 16;
        const auto ref_logits = npy_f32(f.dir + "/logits_" + std::to_string(seg) + ".npy");
        const auto ref_q = npy_f32(f.dir + "/q_" + std::to_string(seg) + ".npy");
        const double e = rel_err(out[size_t(k)].logits, ref_logits);
        double qmax = 1.0;
        for (float v : ref_q) qmax = std::max(qmax, double(std::fabs(v)));
        const double eq = abs_err(out[size_t(k)].q, ref_q) / qmax;
        const double fixture_drift = drift(f.dir, "fp32_vs_fp64", seg, "rel_to_max_logit", 1.0);
        std::printf("[parity] %s fp32 segment %d: logits %.3g, q %.3g (max|diff| / max|ref|); fixture fp32-vs-fp64 "
                    "drift %.3g; bound 1e-4\n", name.c_str(), seg, e, eq, fixture_drift);
        EXPECT_LT(fixture_drift, 1e-5) << name << ": the fixture is not contractive (regenerate it)";
        EXPECT_LT(e, 1e-4) << name << " segment " << seg;
        EXPECT_LT(eq, 1e-4) << name << " segment " << seg;
    }
    const auto pred = read_npy(f.dir + "/pred_16.npy").as<int32_t>(DType::I32, "pred_16.npy");
    EXPECT_EQ(agreement(out[1].pred, pred), 1.0) << name;
}

}  // namespace

TEST(ModelPlugin, DescriptorAndReferenceSpec) {
    const hrm_factory *f = plugin().factory();
    ASSERT_EQ(f->count(f), 1u);
    const hrm_descriptor *d = f->get_descriptor(f, 0);
    EXPECT_STREQ(d->id, "org.hrm-sdk.model.hrm");
    EXPECT_STREQ(d->name, "hrm");
    EXPECT_EQ(d->kind, HRM_KIND_MODEL);
    EXPECT_EQ(f->get_descriptor(f, 1), nullptr);

    // The reference Sudoku model through the ABI: 27,275,266 trainable parameters (spec 1.8).
    ModelPtr m(plugin().create(read_text(std::string(HRM_SOURCE_DIR) + "/configs/models/hrm-sudoku.toml"), "", 3));
    const hrm_model_spec s = spec_of(m.m);
    EXPECT_EQ(s.n_params, 27275266);
    EXPECT_EQ(s.seq_len, 81);
    EXPECT_EQ(s.prefix_len, 1);
    EXPECT_EQ(s.vocab_size, 11);
    EXPECT_EQ(s.h_cycles, 2);
    EXPECT_EQ(s.halt_max_steps, 16);
    EXPECT_NE(std::string(s.config).find("hidden_size = 512"), std::string::npos);
    // param_get serves the reference keys; the trainable ones sum to n_params.
    int64_t trainable = 0;
    const int64_t n = m->param_count(m.m);
    EXPECT_EQ(n, 6 + 1 + 8 * 4);
    for (int64_t i = 0; i < n; ++i) {
        hrm_param p{};
        p.struct_size = sizeof p;
        check(m->param_get(m.m, i, &p), "param_get");
        int64_t numel = 1;
        for (int k = 0; k < p.tensor.ndim; ++k) numel *= p.tensor.shape[k];
        if (p.trainable) trainable += numel;
        if (i == 0) {
            EXPECT_STREQ(p.name, "inner.H_init");
            EXPECT_EQ(p.tensor.dtype, HRM_DTYPE_BF16);
        }
    }
    EXPECT_EQ(trainable, 27275266);
    hrm_param p{};
    p.struct_size = sizeof p;
    hrm_status *st = m->param_get(m.m, n, &p);
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(st->code, HRM_E_INVALID_ARG);
    delete st;
}

TEST(ModelPlugin, CreateErrors) {
    std::string err;
    EXPECT_EQ(plugin().create("[model]\nnum_heads = 7\n", "", 0, &err), nullptr);
    EXPECT_NE(err.find("num_heads"), std::string::npos) << err;
    EXPECT_EQ(plugin().create("", "/nonexistent/model.safetensors", 0, &err), nullptr);
    EXPECT_NE(err.find("cannot open"), std::string::npos) << err;
    const std::string small = std::string(HRM_PARITY_DATA) + "/small/model.safetensors";
    if (exists(small)) {
        // A config that does not match the checkpoint names the tensor and both shapes.
        EXPECT_EQ(plugin().create("[model]\nhidden_size = 64\nnum_heads = 2\npuzzle_emb_ndim = 64\nvocab_size = 12\n"
                                  "h_layers = 2\nl_layers = 2\n", small, 0, &err),
                  nullptr);
        EXPECT_NE(err.find("inner.embed_tokens.embedding_weight"), std::string::npos) << err;
        EXPECT_NE(err.find("[11, 64]"), std::string::npos) << err;
    }
}

TEST(ModelPlugin, ArgumentChecks) {
    const std::string cfg = "[model]\nhidden_size = 32\nnum_heads = 2\nh_layers = 1\nl_layers = 1\npuzzle_emb_ndim = 32\n"
                            "vocab_size = 5\nseq_len = 6\nnum_puzzle_identifiers = 2\n";
    ModelPtr m(plugin().create(cfg, "", 1));
    hrm_state *st = nullptr;
    auto code = [](hrm_status *s) {
        hrm_code c = s ? s->code : HRM_OK;
        delete s;
        return c;
    };
    EXPECT_EQ(code(m->state_create(m.m, 0, HRM_PRECISION_FP32, &st)), HRM_E_INVALID_ARG);
    EXPECT_EQ(code(m->state_create(m.m, 2, 7, &st)), HRM_E_UNSUPPORTED);
    check(m->state_create(m.m, 2, HRM_PRECISION_BF16, &st));
    EXPECT_EQ(code(m->update(m.m, st, HRM_LEVEL_L)), HRM_E_INVALID_ARG);   // not reset yet
    std::vector<int32_t> tokens(12, 1), bad(12, 5), pids = {0, 2};
    View<int32_t> t(tokens, {2, 6}, HRM_DTYPE_I32), b(bad, {2, 6}, HRM_DTYPE_I32), wrong(tokens, {3, 4}, HRM_DTYPE_I32),
        p(pids, {2}, HRM_DTYPE_I32);
    EXPECT_EQ(code(m->set_inputs(m.m, st, nullptr, b.get(), nullptr)), HRM_E_INVALID_ARG);      // token 5 >= V
    EXPECT_EQ(code(m->set_inputs(m.m, st, nullptr, wrong.get(), nullptr)), HRM_E_INVALID_ARG);  // shape
    EXPECT_EQ(code(m->set_inputs(m.m, st, nullptr, t.get(), p.get())), HRM_E_INVALID_ARG);      // puzzle id 2 >= 2
    check(m->reset(m.m, st, nullptr, nullptr));
    EXPECT_EQ(code(m->update(m.m, st, HRM_LEVEL_H)), HRM_E_INVALID_ARG);   // no inputs yet
    check(m->set_inputs(m.m, st, nullptr, t.get(), nullptr));
    check(m->update(m.m, st, HRM_LEVEL_L));
    EXPECT_EQ(code(m->update(m.m, st, 2)), HRM_E_INVALID_ARG);
    std::vector<float> q(4), logits(2 * 6 * 4);
    View<float> qv(q, {2, 2}, HRM_DTYPE_F32), lv(logits, {2, 6, 4}, HRM_DTYPE_F32);
    EXPECT_EQ(code(m->readout(m.m, st, lv.get(), nullptr, nullptr)), HRM_E_INVALID_ARG);   // V is 5
    check(m->readout(m.m, st, nullptr, nullptr, qv.get()));
    EXPECT_EQ(q[0], -5.0f);   // fresh q_head: zero weights, bias -5 (spec 1.2)
    m->state_free(m.m, st);
}

TEST(ModelPlugin, MaskedResetAndNoiseAreRowLocal) {
    const std::string dir = std::string(HRM_PARITY_DATA) + "/small";
    if (!exists(dir + "/model.safetensors")) GTEST_SKIP();
    const Fixture f = fixture("small");
    ModelPtr m(plugin().create("", dir + "/model.safetensors"));
    const hrm_model_spec sp = spec_of(m.m);
    const int64_t B = f.batch, S = sp.seq_len, V = sp.vocab_size;
    hrm_state *st = nullptr;
    check(m->state_create(m.m, B, HRM_PRECISION_FP32, &st));
    std::vector<int32_t> in = f.inputs, pid = f.pids;
    View<int32_t> tok(in, {B, S}, HRM_DTYPE_I32), pv(pid, {B}, HRM_DTYPE_I32);
    check(m->reset(m.m, st, nullptr, nullptr));
    check(m->set_inputs(m.m, st, nullptr, tok.get(), pv.get()));
    auto segment = [&] {
        for (int h = 0; h < sp.h_cycles; ++h) {
            for (int l = 0; l < sp.l_cycles; ++l) check(m->update(m.m, st, HRM_LEVEL_L));
            check(m->update(m.m, st, HRM_LEVEL_H));
        }
    };
    segment();
    segment();
    // Restart row 0 only, with noise: rows 1.. keep running from their carry.
    std::vector<uint8_t> mask(size_t(B), 0);
    mask[0] = 1;
    View<uint8_t> mv(mask, {B}, HRM_DTYPE_U8);
    std::vector<uint64_t> seeds(size_t(B), 9);
    hrm_reset_params rp{sizeof rp, 0.1f, seeds.data()};
    check(m->reset(m.m, st, mv.get(), &rp));
    segment();
    std::vector<float> logits(size_t(B * S * V));
    View<float> lv(logits, {B, S, V}, HRM_DTYPE_F32);
    check(m->readout(m.m, st, lv.get(), nullptr, nullptr));
    m->state_free(m.m, st);

    auto ref = rollout(m.m, HRM_PRECISION_FP32, f.inputs, f.pids, B, {1, 3});
    for (int64_t i = S * V; i < B * S * V; ++i) ASSERT_EQ(logits[size_t(i)], ref[1].logits[size_t(i)]) << i;   // rows 1..: 3 segments
    double d = 0;
    for (int64_t i = 0; i < S * V; ++i) d = std::max(d, double(std::fabs(logits[size_t(i)] - ref[0].logits[size_t(i)])));
    EXPECT_GT(d, 0.0);   // row 0: 1 segment from a perturbed init, not equal to the clean one
}

// A state with fewer rows than workers splits each row's positions over the host's workers
// (model.cpp, Split); a full batch splits rows instead. Every row must come out bit for bit the
// same either way, for attention (HRM) and the sequence MLP (TRM), in both precisions.
// oneDNN's x86 matmul kernels block over K the same way whatever the row count, so a row's result
// does not depend on the batch it runs in: checked bit for bit. Its aarch64 GEMM picks a blocking
// by M, which reorders the fp32 sums of a row: there the check is a tolerance, relative to the
// largest value (one fp32 rounding per term; a bf16 state can flip one bf16 rounding, 2^-8).
static void expect_row_equal(const std::vector<float> &one, const std::vector<float> &row, hrm_precision prec,
                             const std::string &what) {
#if defined(__x86_64__) || defined(__i386__)
    (void)prec;
    EXPECT_EQ(one, row) << what;
#else
    ASSERT_EQ(one.size(), row.size()) << what;
    double scale = 0, d = 0;
    for (size_t i = 0; i < one.size(); ++i) {
        scale = std::max(scale, double(std::fabs(row[i])));
        d = std::max(d, double(std::fabs(one[i] - row[i])));
    }
    EXPECT_LE(d, (prec == HRM_PRECISION_FP32 ? 1e-5 : 1.6e-2) * std::max(scale, 1.0)) << what << " precision " << prec;
#endif
}

TEST(ModelPlugin, OneRowStatesMatchTheirRowInABatch) {
    static test_host::Plugin trm(HRM_TRM_PLUGIN);
    const std::pair<const test_host::Plugin *, const char *> cases[] = {{&plugin(), "wide"}, {&trm, "trm_mlp"}, {&trm, "trm_att"}};
    for (const auto &[pl, name] : cases) {
        const std::string dir = std::string(HRM_PARITY_DATA) + "/" + name;
        if (!exists(dir + "/model.safetensors")) continue;
        const Fixture f = fixture(name);
        ModelPtr m(pl->create("", dir + "/model.safetensors"));
        const hrm_model_spec sp = spec_of(m.m);
        const size_t S = size_t(sp.seq_len), V = size_t(sp.vocab_size);
        for (hrm_precision prec : {HRM_PRECISION_FP32, HRM_PRECISION_BF16}) {
            const auto batch = rollout(m.m, prec, f.inputs, f.pids, f.batch, {1, 3});
            for (size_t r = 0; r < size_t(f.batch); ++r) {
                const std::vector<int32_t> in(f.inputs.begin() + long(r * S), f.inputs.begin() + long((r + 1) * S));
                const auto one = rollout(m.m, prec, in, {f.pids[r]}, 1, {1, 3});
                for (size_t k = 0; k < 2; ++k) {
                    const std::vector<float> row(batch[k].logits.begin() + long(r * S * V), batch[k].logits.begin() + long((r + 1) * S * V));
                    expect_row_equal(one[k].logits, row, prec, std::string(name) + " row " + std::to_string(r));
                    expect_row_equal({one[k].q[0]}, {batch[k].q[2 * r]}, prec, std::string(name) + " q, row " + std::to_string(r));
                }
            }
        }
    }
}

TEST(Parity, Fp32Small) { fp32_parity("small"); }
TEST(Parity, Fp32SmallLearned) { fp32_parity("small_learned"); }
TEST(Parity, Fp32Wide) { fp32_parity("wide"); }
TEST(Parity, Bf16Small) { bf16_parity("small"); }
TEST(Parity, Bf16SmallLearned) { bf16_parity("small_learned"); }
TEST(Parity, Bf16Wide) { bf16_parity("wide"); }
TEST(Parity, Fp32ContractiveSmall16Segments) { fp32_contractive_parity("contractive_small"); }
TEST(Parity, Fp32ContractiveD512At16Segments) { fp32_contractive_parity("contractive_d512"); }

TEST(Parity, ConfigFromFileEqualsConfigFromMetadata) {
    const std::string dir = std::string(HRM_PARITY_DATA) + "/small";
    if (!exists(dir + "/config.toml")) GTEST_SKIP();
    const Fixture f = fixture("small");
    ModelPtr a(plugin().create("", dir + "/model.safetensors"));
    ModelPtr b(plugin().create(read_text(dir + "/config.toml"), dir + "/model.safetensors"));
    EXPECT_EQ(rollout(a.m, HRM_PRECISION_FP32, f.inputs, f.pids, f.batch, {2})[0].logits,
              rollout(b.m, HRM_PRECISION_FP32, f.inputs, f.pids, f.batch, {2})[0].logits);
}

// The reference checkpoint (torch.save zip, keys "_orig_mod.model.inner.*") read in C++ holds
// exactly the tensors of the fixture's safetensors file.
TEST(Parity, ReferenceCheckpointMatchesSafetensors) {
    const std::string dir = std::string(HRM_PARITY_DATA) + "/small";
    if (!exists(dir + "/reference_checkpoint.pt")) GTEST_SKIP();
    auto tensors = read_torch_state_dict(dir + "/reference_checkpoint.pt");
    SafetensorsFile st(dir + "/model.safetensors");
    ASSERT_EQ(tensors.size(), st.tensors().size());
    for (const auto &t : tensors) {
        std::string name = t.name;
        for (const char *prefix : {"_orig_mod.", "model."})
            if (name.rfind(prefix, 0) == 0) name = name.substr(std::strlen(prefix));
        const TensorView &v = st.get(name, t.dtype, t.shape);
        ASSERT_EQ(v.nbytes, t.bytes.size()) << name;
        EXPECT_EQ(std::memcmp(v.data, t.bytes.data(), v.nbytes), 0) << name;
    }
}

// States are independent: two states stepped concurrently from two threads give exactly the
// results of stepping them one after the other.
TEST(ModelPlugin, ConcurrentStatesMatchSerial) {
    const std::string dir = std::string(HRM_PARITY_DATA) + "/small";
    if (!exists(dir + "/model.safetensors")) GTEST_SKIP();
    const Fixture f = fixture("small");
    ModelPtr m(plugin().create("", dir + "/model.safetensors"));
    std::vector<int32_t> other = f.inputs;
    std::reverse(other.begin(), other.end());
    for (hrm_precision prec : {HRM_PRECISION_FP32, HRM_PRECISION_BF16}) {
        auto a_serial = rollout(m.m, prec, f.inputs, f.pids, f.batch, {3});
        auto b_serial = rollout(m.m, prec, other, f.pids, f.batch, {3});
        std::vector<Outputs> a_conc, b_conc;
        std::thread t([&] { b_conc = rollout(m.m, prec, other, f.pids, f.batch, {3}); });
        a_conc = rollout(m.m, prec, f.inputs, f.pids, f.batch, {3});
        t.join();
        EXPECT_EQ(a_conc[0].logits, a_serial[0].logits);
        EXPECT_EQ(b_conc[0].logits, b_serial[0].logits);
        EXPECT_EQ(b_conc[0].q, b_serial[0].q);
        EXPECT_NE(a_conc[0].logits, b_conc[0].logits);
    }
}

// Inference memory (weights.hpp): a loaded model reads its F32 tensors in place from the mapping,
// the first bf16 states build the packs (here two threads race to create them) and then release the
// mapped pages of the linears, which an fp32 state afterwards reads back unchanged. Requesting the
// training extension copies the masters into owned storage without changing any result.
TEST(ModelPlugin, LazyPacksAndMaterializedMastersKeepResults) {
    const std::string dir = std::string(HRM_PARITY_DATA) + "/small";
    if (!exists(dir + "/model.safetensors")) GTEST_SKIP();
    const Fixture f = fixture("small");
    ModelPtr ref(plugin().create("", dir + "/model.safetensors"));
    const auto fp32_ref = rollout(ref.m, HRM_PRECISION_FP32, f.inputs, f.pids, f.batch, {2});
    const auto bf16_ref = rollout(ref.m, HRM_PRECISION_BF16, f.inputs, f.pids, f.batch, {2});

    ModelPtr m(plugin().create("", dir + "/model.safetensors"));
    std::vector<Outputs> a, b;
    std::thread t([&] { b = rollout(m.m, HRM_PRECISION_BF16, f.inputs, f.pids, f.batch, {2}); });
    a = rollout(m.m, HRM_PRECISION_BF16, f.inputs, f.pids, f.batch, {2});
    t.join();
    EXPECT_EQ(a[0].logits, bf16_ref[0].logits);
    EXPECT_EQ(b[0].logits, bf16_ref[0].logits);
    EXPECT_EQ(rollout(m.m, HRM_PRECISION_FP32, f.inputs, f.pids, f.batch, {2})[0].logits, fp32_ref[0].logits);

    // param_get before the extension: the loaded values; after it: owned copies, equal values.
    hrm_param before{};
    before.struct_size = sizeof before;
    check(m->param_get(m.m, 3, &before), "param_get");
    ASSERT_STREQ(before.name, "inner.lm_head.weight");
    ASSERT_NE(m->get_extension(m.m, "hrm.ext.draft.train/1"), nullptr);
    hrm_param after{};
    after.struct_size = sizeof after;
    check(m->param_get(m.m, 3, &after), "param_get");
    EXPECT_NE(after.tensor.data, before.tensor.data);
    EXPECT_EQ(std::memcmp(after.tensor.data, before.tensor.data, size_t(11 * 64) * sizeof(float)), 0);
    EXPECT_EQ(rollout(m.m, HRM_PRECISION_FP32, f.inputs, f.pids, f.batch, {2})[0].logits, fp32_ref[0].logits);
    EXPECT_EQ(rollout(m.m, HRM_PRECISION_BF16, f.inputs, f.pids, f.batch, {2})[0].logits, bf16_ref[0].logits);
}

// puzzle_emb_ndim = 0 (no prefix, P = 0) and P > 1 (ndim > hidden: the row is zero-padded to P·D)
// both run; the spec reports the prefix length.
TEST(ModelPlugin, PrefixLengths) {
    for (int ndim : {0, 48}) {
        const std::string cfg = "[model]\nhidden_size = 32\nnum_heads = 2\nh_layers = 1\nl_layers = 1\nvocab_size = 5\n"
                                "seq_len = 6\npuzzle_emb_ndim = " + std::to_string(ndim) + "\n";
        ModelPtr m(plugin().create(cfg, "", 5));
        const hrm_model_spec sp = spec_of(m.m);
        EXPECT_EQ(sp.prefix_len, ndim == 0 ? 0 : 2);
        std::vector<int32_t> tokens = {0, 1, 2, 3, 4, 0, 4, 3, 2, 1, 0, 4};
        for (hrm_precision prec : {HRM_PRECISION_FP32, HRM_PRECISION_BF16}) {
            auto out = rollout(m.m, prec, tokens, {0, 0}, 2, {2});
            for (float v : out[0].logits) ASSERT_TRUE(std::isfinite(v));
            EXPECT_NE(std::vector<float>(out[0].logits.begin(), out[0].logits.begin() + 30),
                      std::vector<float>(out[0].logits.begin() + 30, out[0].logits.end()));   // rows differ
        }
    }
}
