// The dataset folder as `hrm train` and `hrm dataset info` read it (sdk/data): dataset.json, the
// five .npy arrays and identifiers.json, then what training does with a valid split first (the
// sampler's batches and the padded test batches), where a split that passes validation but
// breaks an assumption of the sampler would show.
//
// The fuzz input is split at kSep into up to seven parts, in this order: dataset.json,
// all__inputs.npy, all__labels.npy, all__puzzle_identifiers.npy, all__puzzle_indices.npy,
// all__group_indices.npy, identifiers.json. A part that is absent keeps the bundled sample's file
// (tests/data/dataset/sudoku-reference-sample/train), so a one-part input fuzzes dataset.json alone.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "fuzz_util.hpp"
#include "hrm/data/dataset.hpp"
#include "hrm/train/sampler.hpp"

namespace hrm::fuzz {

inline constexpr std::string_view kSep = "\n--8<--\n";
inline const char *const kDatasetFiles[] = {"dataset.json",
                                            "all__inputs.npy",
                                            "all__labels.npy",
                                            "all__puzzle_identifiers.npy",
                                            "all__puzzle_indices.npy",
                                            "all__group_indices.npy",
                                            "../identifiers.json"};

class DatasetDir {
public:
    DatasetDir() {
        namespace fs = std::filesystem;
        // Seven small files per input: in RAM (/dev/shm) where there is one, the disk is 100x slower.
        const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        std::string tmpl = (base / "hrm-fuzz-dataset-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) std::abort();
        root_ = tmpl;
        split_ = root_ / "train";
        fs::create_directories(split_);
        const fs::path sample = fs::path(HRM_SOURCE_DIR) / "tests/data/dataset/sudoku-reference-sample/train";
        for (const char *name : kDatasetFiles) originals_.push_back(read(sample / name));
    }
    ~DatasetDir() { std::filesystem::remove_all(root_); }

    // Writes the parts (the sample's file where the input has none); returns the split folder.
    std::string write(std::string_view input) {
        std::string_view rest = input;
        for (std::size_t i = 0; i < std::size(kDatasetFiles); ++i) {
            const bool have = !rest.empty() || i == 0;
            auto [part, after] = cut(rest, kSep);
            std::ofstream out(split_ / kDatasetFiles[i], std::ios::binary | std::ios::trunc);
            if (have) out.write(part.data(), std::streamsize(part.size()));
            else out << originals_[i];
            rest = after;
        }
        return split_.string();
    }
    std::string root() const { return root_.string(); }

private:
    static std::string read(const std::filesystem::path &p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    std::filesystem::path root_, split_;
    std::vector<std::string> originals_;
};

inline void fuzz_dataset(std::string_view input) {
    static DatasetDir dir;
    const std::string split_dir = dir.write(input);
    // identifiers.json: names only.
    expect_clean_rejection([&] { (void)hrm::data::read_identifiers(dir.root()); });
    // The sampler reports misuse with std::invalid_argument naming itself ("sampler: ...").
    expect_clean_rejection<std::invalid_argument>([&] {
        const hrm::data::Split split = hrm::data::read_split(split_dir);
        hrm::train::TrainSampler sampler(split, 4, 1, 0, 2);
        hrm::train::Batch batch;
        for (int i = 0; i < 3 && sampler.next(batch); ++i) {
        }
        const int64_t n = hrm::train::test_batch_count(split, 4);
        for (int64_t i = 0; i < n && i < 4; ++i) (void)hrm::train::test_batch(split, i, 4);
    });
}

}  // namespace hrm::fuzz
