// Model config parsing/validation, parameter counts of the shipped configs (spec 1.8) and the
// statistics of the fresh init (spec 1.2).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "config.hpp"
#include "weights.hpp"

using namespace hrm::models::core;

namespace {

std::string read_file(const std::string &path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

Config load(const std::string &name) {
    const std::string path = std::string(HRM_SOURCE_DIR) + "/configs/models/" + name;
    return parse_config(read_file(path), path);
}

std::string error_of(const std::string &text) {
    try {
        parse_config(text, "test.toml");
    } catch (const hrm::plugin::Error &e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Config, ShippedConfigsAndReferenceParameterCounts) {
    // spec 1.8: 8 blocks of 3,407,872 plus embeddings and heads.
    EXPECT_EQ(load("hrm-sudoku.toml").n_params(), 27275266);
    EXPECT_EQ(load("hrm-maze.toml").n_params(), 27270146);
    EXPECT_EQ(load("hrm-arc.toml").n_params(), 27276290);
    const Config small = load("hrm-small.toml");
    EXPECT_EQ(small.hidden_size, 128);
    EXPECT_EQ(small.intermediate_size(), 512);
    EXPECT_EQ(small.n_params(), 1051650);

    const Config s = load("hrm-sudoku.toml");
    EXPECT_EQ(s.intermediate_size(), 1536);   // ceil256(round(1365.33))
    EXPECT_EQ(s.prefix_len(), 1);
    EXPECT_EQ(s.total_len(), 82);
    EXPECT_EQ(s.head_dim(), 64);
    // spec 1.9: ≈13.7 GFLOP per segment per Sudoku puzzle.
    EXPECT_NEAR(s.flops_per_segment() / 1e9, 13.7, 0.3);
}

TEST(Config, DefaultsRoundTripThroughToml) {
    Config c;
    c.pos_encodings = "learned";
    c.rms_norm_eps = 1e-6;
    const Config d = parse_config(c.to_toml());
    EXPECT_EQ(d.to_toml(), c.to_toml());
    EXPECT_EQ(d.pos_encodings, "learned");
    EXPECT_EQ(d.rms_norm_eps, 1e-6);
    // Learned positions add [S+P, D] parameters.
    EXPECT_EQ(d.n_params(), 27275266 + 82 * 512);
}

TEST(Config, ErrorsNameFileLineAndKey) {
    EXPECT_NE(error_of("[model]\nhidden_size = 512\nnum_heads = 7\n").find("test.toml:3: key 'num_heads'"), std::string::npos)
        << error_of("[model]\nhidden_size = 512\nnum_heads = 7\n");
    EXPECT_NE(error_of("[model]\nhiden_size = 5\n").find("test.toml:2: key 'hiden_size' is not a known"), std::string::npos);
    EXPECT_NE(error_of("[model]\nvocab_size = \"11\"\n").find("key 'vocab_size' must be an integer"), std::string::npos);
    EXPECT_NE(error_of("[model]\npos_encodings = \"alibi\"\n").find("key 'pos_encodings'"), std::string::npos);
    EXPECT_NE(error_of("[model]\nseq_len = 0\n").find("test.toml:2: key 'seq_len'"), std::string::npos);
    EXPECT_NE(error_of("[model\n").find("test.toml:1"), std::string::npos);
    EXPECT_NE(error_of("stray = 1\n[model]\n").find("outside the [model] table"), std::string::npos);
    // Other tables of a merged config are left to their owners.
    EXPECT_EQ(error_of("[model]\nseq_len = 9\n[train]\nlr = 1.0\n"), "");
}

TEST(Weights, TableNamesShapesAndCounts) {
    const Config c = load("hrm-small.toml");
    Weights w(c, 1);
    EXPECT_EQ(w.trainable_count(), c.n_params());
    const auto &p = w.params();
    EXPECT_EQ(p[0].name, "inner.H_init");
    EXPECT_EQ(p[0].dtype, hrm::common::DType::BF16);
    EXPECT_FALSE(p[0].trainable);
    EXPECT_EQ(p[6].name, "inner.puzzle_emb.weights");
    EXPECT_FALSE(p[6].trainable);
    EXPECT_EQ(w.find("inner.H_level.layers.1.mlp.gate_up_proj.weight").shape, (std::vector<int64_t>{1024, 128}));
    EXPECT_EQ(w.find("inner.L_level.layers.0.mlp.down_proj.weight").shape, (std::vector<int64_t>{128, 512}));
    EXPECT_EQ(w.find("inner.L_level.layers.1.self_attn.qkv_proj.weight").shape, (std::vector<int64_t>{384, 128}));
}

TEST(Weights, InitStatisticsFollowSpec12) {
    const Config c = load("hrm-small.toml");
    Weights w(c, 42);
    // q_head: zero weights, bias -5; puzzle embedding zeros.
    for (float v : w.find("inner.q_head.weight").f32) EXPECT_EQ(v, 0.0f);
    EXPECT_EQ(w.find("inner.q_head.bias").f32, (std::vector<float>{-5.0f, -5.0f}));
    for (float v : w.find("inner.puzzle_emb.weights").f32) EXPECT_EQ(v, 0.0f);
    // Truncated normal with actual std = 1/sqrt(fan_in), bounded by 2·comp_std.
    auto check = [](const std::vector<float> &v, double std, const std::string &name) {
        double s = 0, s2 = 0, mx = 0;
        for (float x : v) {
            s += x;
            s2 += double(x) * x;
            mx = std::max(mx, std::fabs(double(x)));
        }
        const double n = double(v.size()), mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
        EXPECT_NEAR(mean, 0.0, 4.0 * std / std::sqrt(n)) << name;
        EXPECT_NEAR(sd / std, 1.0, 0.02) << name;
        EXPECT_LE(mx, 2.0 * 1.1368472343385565 * std * (1 + 1e-6)) << name;
        EXPECT_GT(mx, 1.9 * 1.1368472343385565 * std) << name;   // the truncation point is reached
    };
    check(w.find("inner.H_level.layers.0.mlp.gate_up_proj.weight").f32, 1.0 / std::sqrt(128.0), "gate_up");
    check(w.find("inner.L_level.layers.1.mlp.down_proj.weight").f32, 1.0 / std::sqrt(512.0), "down");
    check(w.find("inner.embed_tokens.embedding_weight").f32, 1.0 / std::sqrt(128.0), "embed");
    // H_init: std 1 in bf16.
    std::vector<float> h;
    for (uint16_t b : w.find("inner.H_init").bf16) h.push_back(hrm::kernels::to_float(hrm::kernels::bf16{b}));
    double s2 = 0;
    for (float x : h) s2 += double(x) * x;
    EXPECT_NEAR(std::sqrt(s2 / double(h.size())), 1.0, 0.2);

    // Deterministic in the seed, different across seeds.
    Weights again(c, 42), other(c, 43);
    EXPECT_EQ(again.find("inner.lm_head.weight").f32, w.find("inner.lm_head.weight").f32);
    EXPECT_NE(other.find("inner.lm_head.weight").f32, w.find("inner.lm_head.weight").f32);
}

TEST(Weights, TruncNormalLargeSampleMoments) {
    std::vector<float> v(200000);
    trunc_normal(v.data(), int64_t(v.size()), 0.5, 7, 1);
    double s = 0, s2 = 0, s4 = 0;
    for (float x : v) { s += x; s2 += double(x) * x; s4 += double(x) * x * x * x; }
    const double n = double(v.size());
    EXPECT_NEAR(s / n, 0.0, 0.005);
    EXPECT_NEAR(std::sqrt(s2 / n), 0.5, 0.004);
    // Kurtosis of a ±2σ truncated normal is ≈ 2.36 (lighter tails than the normal's 3).
    EXPECT_NEAR((s4 / n) / ((s2 / n) * (s2 / n)), 2.36, 0.05);
}
