// The reference dataset layout: we read what the reference's NumPy builder writes, write the same
// bytes back, and reject broken datasets with a message naming the problem.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <hrm/common/error.hpp>
#include <hrm/data/dataset.hpp>

#include "shell.hpp"

namespace fs = std::filesystem;
using namespace hrm::data;

namespace {

const std::string kSample = std::string(HRM_TEST_DATA_DIR) + "/dataset/sudoku-reference-sample";

using test_shell::slurp;

std::string validation_error(const Split &s) {
    try {
        validate(s, "split");
    } catch (const hrm::common::Error &e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Dataset, ReadsTheReferenceBuildersOutput) {
    const Split train = read_split(kSample + "/train");
    EXPECT_EQ(train.meta.seq_len, 81);
    EXPECT_EQ(train.meta.vocab_size, 11);
    EXPECT_EQ(train.examples(), 2);
    EXPECT_EQ(train.groups(), 2);
    EXPECT_EQ(train.inputs[0], 5);   // top1465 #1 starts with a 4: token 4+1
    EXPECT_EQ(read_identifiers(kSample), std::vector<std::string>{"<blank>"});
}

TEST(Dataset, WritesTheSameBytesAsTheReference) {
    const fs::path out = fs::path(::testing::TempDir()) / "dataset-rewrite";
    fs::remove_all(out);
    for (const char *split : {"train", "test"}) {
        write_split((out / split).string(), read_split(kSample + "/" + split));
        for (const auto &entry : fs::directory_iterator(fs::path(kSample) / split))
            EXPECT_EQ(slurp(entry.path()), slurp(out / split / entry.path().filename())) << entry.path();
    }
    write_identifiers(out.string(), {"<blank>"});
    EXPECT_EQ(slurp(fs::path(kSample) / "identifiers.json"), slurp(out / "identifiers.json"));
}

TEST(Dataset, BuilderMakesGroupsOfAugmentedPuzzles) {
    Metadata m;
    m.vocab_size = 4;
    m.seq_len = 2;
    SplitBuilder b(m);
    b.begin_group();
    b.add_puzzle(0, {1, 2}, {2, 3});
    b.add_puzzle(0, {2, 1}, {3, 2});
    b.begin_group();
    b.add_puzzle(0, {3, 3, 1, 1}, {1, 1, 3, 3});   // one puzzle, two examples
    const Split s = b.finish();
    EXPECT_EQ(s.group_indices, (std::vector<int32_t>{0, 2, 3}));
    EXPECT_EQ(s.puzzle_indices, (std::vector<int32_t>{0, 1, 2, 4}));
    EXPECT_EQ(s.meta.total_groups, 2);
    EXPECT_DOUBLE_EQ(s.meta.mean_puzzle_examples, 4.0 / 3.0);
    // json.dump writes Python's repr of the float
    EXPECT_NE(metadata_json(s.meta).find("\"mean_puzzle_examples\": 1.3333333333333333,"), std::string::npos);
    EXPECT_EQ(validation_error(s), "");
}

TEST(Dataset, ValidationNamesTheProblem) {
    const Split good = read_split(kSample + "/train");
    Split s = good;
    s.inputs[5] = 11;
    EXPECT_NE(validation_error(s).find("token out of [0, vocab_size) in example 0 position 5"), std::string::npos);
    s = good;
    s.puzzle_indices = {0, 2, 1};
    EXPECT_NE(validation_error(s).find("puzzle_indices decreases"), std::string::npos);
    s = good;
    s.meta.total_groups = 5;
    EXPECT_NE(validation_error(s).find("total_groups is 5"), std::string::npos);
    s = good;
    s.puzzle_identifiers[0] = 3;
    EXPECT_NE(validation_error(s).find("identifier 3"), std::string::npos);
}

TEST(Dataset, MissingOrCorruptFilesAreErrorsNotCrashes) {
    const fs::path dir = fs::path(::testing::TempDir()) / "dataset-broken";
    fs::remove_all(dir);
    fs::copy(fs::path(kSample) / "train", dir);
    std::ofstream(dir / "dataset.json") << "{\"pad_id\": 0,";
    EXPECT_THROW(read_split(dir.string()), hrm::common::Error);
    fs::copy_file(fs::path(kSample) / "train" / "dataset.json", dir / "dataset.json", fs::copy_options::overwrite_existing);
    const std::string npy = slurp(dir / "all__inputs.npy");
    std::ofstream(dir / "all__inputs.npy", std::ios::binary) << npy.substr(0, npy.size() - 10);
    EXPECT_THROW(read_split(dir.string()), hrm::common::Error);
    fs::remove(dir / "all__inputs.npy");
    EXPECT_THROW(read_split(dir.string()), hrm::common::Error);
}
