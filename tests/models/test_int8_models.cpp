// HRM_PRECISION_INT8 on every architecture of the family (the bundled models are all TRM-MLP; the
// attention blocks' qkv/o linears and the HRM and transformer plugins are covered here), on the
// parity fixtures' weights: int8 logits near fp32 after one segment, and int8 states refused by
// the training extension. The fixtures are small random models whose logits are nearly tied, so
// their argmax says little (the >= 99.9% agreement is measured on the trained bundled model,
// tests/bundled/test_int8.cpp); the logit bounds are the measured errors with about 2x margin
// (trm_mlp's sequence MLP amplifies any rounding ~100x, see its drift.json). A wrong weight,
// layout or scale gives errors of order 1. Runs per dispatch target too
// (models_trm.<target> in CTest), where the int8 products take the portable kernel below AVX2.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include "hrm/common/npy.hpp"
#include "hrm/ext/draft/train.h"
#include "plugin_host.hpp"

using namespace hrm::common;
using test_host::exists;
using test_host::ModelPtr;
using test_host::View;

namespace {

const test_host::Plugin &plugin(const std::string &path) {
    static std::map<std::string, std::unique_ptr<test_host::Plugin>> plugins;
    auto &p = plugins[path];
    if (!p) p = std::make_unique<test_host::Plugin>(path);
    return *p;
}

struct Fixture {
    const char *name;
    const char *plugin;
    double max_rel_logits;   // max |int8 - fp32| / max |fp32| of the logits after one segment
};

struct Run {
    std::vector<float> logits;
    std::vector<int32_t> pred;
};

std::vector<Run> forward(const hrm_model *m, hrm_precision precision, const std::string &dir, int segments) {
    hrm_model_spec s{};
    s.struct_size = sizeof s;
    test_host::check(m->get_spec(m, &s));
    std::vector<int32_t> tokens = read_npy(dir + "/inputs.npy").as<int32_t>(DType::I32, "inputs");
    std::vector<int32_t> pids = read_npy(dir + "/puzzle_ids.npy").as<int32_t>(DType::I32, "puzzle_ids");
    const int64_t B = int64_t(pids.size()), S = s.seq_len, V = s.vocab_size;
    hrm_state *st = nullptr;
    test_host::check(m->state_create(m, B, precision, &st), "state_create");
    View<int32_t> tv(tokens, {B, S}, HRM_DTYPE_I32), pv(pids, {B}, HRM_DTYPE_I32);
    test_host::check(m->reset(m, st, nullptr, nullptr));
    test_host::check(m->set_inputs(m, st, nullptr, tv.get(), pv.get()));
    std::vector<Run> out;
    for (int seg = 1; seg <= segments; ++seg) {
        test_host::check(hrm_model_run_segment(m, st, s.h_cycles, s.l_cycles));
        Run r{std::vector<float>(size_t(B * S * V)), std::vector<int32_t>(size_t(B * S))};
        View<float> lv(r.logits, {B, S, V}, HRM_DTYPE_F32);
        View<int32_t> prv(r.pred, {B, S}, HRM_DTYPE_I32);
        test_host::check(m->readout(m, st, lv.get(), prv.get(), nullptr));
        out.push_back(std::move(r));
    }
    m->state_free(m, st);
    return out;
}

class Int8Models : public ::testing::TestWithParam<Fixture> {};

TEST_P(Int8Models, CloseToFp32) {
    const Fixture f = GetParam();
    const std::string d = std::string(HRM_PARITY_DATA) + "/" + f.name;
    if (!exists(d + "/model.safetensors")) GTEST_SKIP() << "no fixture " << d;
    ModelPtr m(plugin(f.plugin).create("", d + "/model.safetensors"));
    const auto ref = forward(m.m, HRM_PRECISION_FP32, d, 1);
    const auto q = forward(m.m, HRM_PRECISION_INT8, d, 1);
    for (size_t seg = 0; seg < ref.size(); ++seg) {
        double diff = 0, mx = 0;
        for (size_t i = 0; i < ref[seg].logits.size(); ++i) {
            diff = std::max(diff, std::fabs(double(q[seg].logits[i]) - ref[seg].logits[i]));
            mx = std::max(mx, std::fabs(double(ref[seg].logits[i])));
        }
        size_t same = 0;
        for (size_t i = 0; i < ref[seg].pred.size(); ++i) same += ref[seg].pred[i] == q[seg].pred[i];
        const double rel = diff / mx, agree = double(same) / double(ref[seg].pred.size());
        std::printf("[int8] %s segment %zu: logits max rel %.4f (bound %.3f), argmax agreement %.4f\n", f.name, seg + 1, rel,
                    f.max_rel_logits, agree);
        EXPECT_LE(rel, f.max_rel_logits) << f.name << " segment " << seg + 1;
    }
}

// The training extension computes in fp32 or bf16 only; unknown precisions are refused.
TEST_P(Int8Models, TrainingAndUnknownPrecisionsRefused) {
    const Fixture f = GetParam();
    const std::string d = std::string(HRM_PARITY_DATA) + "/" + f.name;
    if (!exists(d + "/model.safetensors")) GTEST_SKIP() << "no fixture " << d;
    ModelPtr m(plugin(f.plugin).create("", d + "/model.safetensors"));
    hrm_model_spec s{};
    s.struct_size = sizeof s;
    test_host::check(m->get_spec(m.m, &s));
    EXPECT_EQ(s.default_precision, HRM_PRECISION_FP32);   // an fp32 file
    const auto *ext = static_cast<const hrm_model_train_ext *>(m->get_extension(m.m, HRM_EXT_TRAIN));
    ASSERT_NE(ext, nullptr);
    hrm_state *st = nullptr;
    test_host::check(m->state_create(m.m, 1, HRM_PRECISION_INT8, &st));
    std::vector<float> logits(size_t(s.seq_len * s.vocab_size)), q(2);
    View<float> lv(logits, {1, s.seq_len, s.vocab_size}, HRM_DTYPE_F32), qv(q, {1, 2}, HRM_DTYPE_F32);
    hrm_status *bad = ext->segment_forward(m.m, st, lv.get(), qv.get());
    ASSERT_NE(bad, nullptr);
    EXPECT_EQ(bad->code, HRM_E_UNSUPPORTED);
    EXPECT_NE(bad->message.find("inference only"), std::string::npos) << bad->message;
    delete bad;
    m->state_free(m.m, st);
    bad = m->state_create(m.m, 1, 3, &st);
    ASSERT_NE(bad, nullptr);
    EXPECT_EQ(bad->code, HRM_E_UNSUPPORTED);
    delete bad;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Int8Models,
                         ::testing::Values(Fixture{"small", HRM_MODEL_PLUGIN, 0.12}, Fixture{"small_learned", HRM_MODEL_PLUGIN, 0.2},
                                           Fixture{"trm_att", HRM_TRM_PLUGIN, 0.12}, Fixture{"trm_mlp", HRM_TRM_PLUGIN, 0.4},
                                           Fixture{"transformer", HRM_TRANSFORMER_PLUGIN, 0.08}),
                         [](const auto &info) { return std::string(info.param.name); });

}  // namespace
