// Regression tests for resuming from a checkpoint the SDK did not write, and for datasets too
// small for the batch (issue #24 items 3 and 4). No model: train_state.cpp and the sampler only.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "hrm/common/safetensors.hpp"
#include "hrm/train/train_state.hpp"

namespace fs = std::filesystem;
using hrm::common::DType;

namespace {

hrm::data::Split tiny_split(int groups, int examples_per_puzzle) {
    hrm::data::Metadata m;
    m.vocab_size = 6;
    m.seq_len = 2;
    hrm::data::SplitBuilder b(m);
    std::vector<int32_t> x;
    for (int e = 0; e < examples_per_puzzle; ++e) x.push_back(1), x.push_back(2);
    for (int g = 0; g < groups; ++g) {
        b.begin_group();
        b.add_puzzle(0, x, x);
    }
    return b.finish();
}

hrm::train::TrainStateExpect expect() {
    hrm::train::TrainStateExpect e;
    e.global_batch_size = 2;
    e.shard_size = 2;
    e.seq_len = 2;
    e.vocab_size = 6;
    e.num_puzzle_identifiers = 1;
    e.halt_max_steps = 4;
    return e;
}

// A train_state.safetensors as Engine::save_checkpoint writes it, with `changes` applied to the
// metadata and carry.inputs set to `inputs`.
std::string state_file(const std::map<std::string, std::string> &changes, std::vector<int32_t> inputs = {1, 2, 3, 4}) {
    std::map<std::string, std::string> md = {
        {"format", hrm::train::kStateFormat}, {"step", "3"}, {"adam_step_bits", "1077936128"},   // 3.0f
        {"sampler_iter", "0"}, {"sampler_cursor", "1"}, {"sampler_rng", "99"}, {"rng", "7"},
        {"exhausted", "0"}, {"global_batch_size", "2"}, {"shard_size", "2"}, {"ema", "0"}};
    for (const auto &[k, v] : changes) md[k] = v;
    static std::vector<int32_t> labels = {1, 2, -100, 4}, ids = {0, 0}, steps = {1, 0};
    static std::vector<uint8_t> halted = {0, 1};
    const std::string path = ::testing::TempDir() + "hrm_reliability_state_" + std::to_string(::getpid()) + ".safetensors";
    hrm::common::write_safetensors(path,
                                   {{"carry.inputs", DType::I32, {2, 2}, inputs.data()},
                                    {"carry.labels", DType::I32, {2, 2}, labels.data()},
                                    {"carry.puzzle_ids", DType::I32, {2}, ids.data()},
                                    {"carry.steps", DType::I32, {2}, steps.data()},
                                    {"carry.halted", DType::U8, {2}, halted.data()}},
                                   md);
    return path;
}

// The error read_train_state_meta + read_train_carry + the sampler's restore give, "" if none.
std::string resume_error(const std::string &path) {
    try {
        const hrm::common::SafetensorsFile st(path);
        const auto meta = hrm::train::read_train_state_meta(st, expect());
        hrm::train::ActCarry carry;
        hrm::train::read_train_carry(st, expect(), carry);
        static const hrm::data::Split split = tiny_split(3, 2);
        hrm::train::TrainSampler sampler(split, 2, 1, 0);
        sampler.restore(meta.sampler);
        hrm::train::Batch b;
        EXPECT_TRUE(sampler.next(b));
    } catch (const std::exception &e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(HostileTrainState, AValidStateReads) { EXPECT_EQ(resume_error(state_file({})), ""); }

// The reported case: a negative sampler_cursor overflowed a read in TrainSampler::next.
TEST(HostileTrainState, NegativeSamplerCursorIsRefused) {
    EXPECT_NE(resume_error(state_file({{"sampler_cursor", "-5"}})).find("'sampler_cursor' is negative"), std::string::npos);
}

TEST(HostileTrainState, CursorPastTheIterationIsRefused) {
    EXPECT_NE(resume_error(state_file({{"sampler_cursor", "1000"}})).find("cursor 1000 outside"), std::string::npos);
    EXPECT_NE(resume_error(state_file({{"sampler_iter", "-1"}, {"sampler_cursor", "2"}})).find("before the first"),
              std::string::npos);
    EXPECT_NE(resume_error(state_file({{"sampler_iter", "-7"}})).find("below -1"), std::string::npos);
}

// Corrupt numbers used to end as "hrm train: stoll".
TEST(HostileTrainState, MalformedNumbersNameTheField) {
    EXPECT_NE(resume_error(state_file({{"step", "12abc"}})).find("metadata 'step': '12abc' is not an integer"),
              std::string::npos);
    EXPECT_NE(resume_error(state_file({{"rng", "99999999999999999999999"}})).find("metadata 'rng'"), std::string::npos);
    EXPECT_NE(resume_error(state_file({{"step", "-1"}})).find("'step' is negative"), std::string::npos);
    EXPECT_NE(resume_error(state_file({{"adam_step_bits", "2143289344"}})).find("adam_step_bits"), std::string::npos);   // NaN
    EXPECT_NE(resume_error(state_file({{"exhausted", "yes"}})).find("'exhausted' must be 0 or 1"), std::string::npos);
    EXPECT_NE(resume_error(state_file({{"global_batch_size", "8"}})).find("resume needs the same values"), std::string::npos);
}

// Carry values index embeddings and buffers in the model: checked before use.
TEST(HostileTrainState, CarryValuesAreRangeChecked) {
    const std::string err = resume_error(state_file({}, {1, 2, 3, 99}));
    EXPECT_NE(err.find("carry.inputs row 1 holds 99"), std::string::npos) << err;
}

// Fewer examples than global_batch_size: next() looped forever at 100% CPU.
TEST(SmallDatasets, FewerExamplesThanTheBatchIsAnErrorNotAHang) {
    const hrm::data::Split split = tiny_split(2, 1);   // 2 examples
    try {
        hrm::train::TrainSampler sampler(split, 8, 1, 0);
        FAIL() << "accepted a batch of 8 from 2 examples";
    } catch (const std::invalid_argument &e) {
        EXPECT_NE(std::string(e.what()).find("global_batch_size 8"), std::string::npos) << e.what();
    }
    // Several epochs per iteration can fill it: allowed.
    hrm::train::TrainSampler sampler(split, 8, 4, 0);
    hrm::train::Batch b;
    EXPECT_TRUE(sampler.next(b));
}
