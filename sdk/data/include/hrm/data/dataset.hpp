// The reference HRM dataset layout (hrm-reference.md section 4.1):
//
//   <root>/identifiers.json                       list: puzzle identifier -> name ("<blank>" at 0)
//   <root>/{train,test}/dataset.json              metadata
//   <root>/{train,test}/all__inputs.npy           [examples, S] uint8
//   <root>/{train,test}/all__labels.npy           [examples, S] uint8
//   <root>/{train,test}/all__puzzle_identifiers.npy  [puzzles] int32
//   <root>/{train,test}/all__puzzle_indices.npy   [puzzles+1] int32  CSR: examples of puzzle p
//   <root>/{train,test}/all__group_indices.npy    [groups+1] int32   CSR: puzzles of group g
//
// Written byte for byte as the reference builders write it (numpy .npy v1.0, json.dump), so the
// reference's PuzzleDataset reads our datasets and we read theirs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hrm::data {

struct Metadata {
    int32_t pad_id = 0;
    std::optional<int32_t> ignore_label_id = 0;
    int32_t blank_identifier_id = 0;
    int64_t vocab_size = 0;
    int64_t seq_len = 0;
    int64_t num_puzzle_identifiers = 1;
    int64_t total_groups = 0;
    double mean_puzzle_examples = 1.0;
    std::vector<std::string> sets{"all"};
};

// One split ("train" or "test") of the set "all". Tokens are held as int32 in memory.
struct Split {
    Metadata meta;
    std::vector<int32_t> inputs;               // [examples * seq_len]
    std::vector<int32_t> labels;               // [examples * seq_len]
    std::vector<int32_t> puzzle_identifiers;   // [puzzles]
    std::vector<int32_t> puzzle_indices;       // [puzzles + 1]
    std::vector<int32_t> group_indices;        // [groups + 1]

    int64_t examples() const { return meta.seq_len ? int64_t(inputs.size()) / meta.seq_len : 0; }
    int64_t puzzles() const { return int64_t(puzzle_identifiers.size()); }
    int64_t groups() const { return group_indices.empty() ? 0 : int64_t(group_indices.size()) - 1; }
};

// Builds a split group by group: begin_group(), then add_puzzle() for each of its puzzles (an
// original and its augmentations), each with one or more examples.
class SplitBuilder {
public:
    explicit SplitBuilder(Metadata meta);
    void begin_group();
    void add_puzzle(int32_t puzzle_identifier, const std::vector<int32_t> &inputs, const std::vector<int32_t> &labels);
    Split finish();   // fills total_groups and mean_puzzle_examples

private:
    Split split_;
};

// Checks every invariant (shapes, CSR monotonicity and bounds, token ranges, identifier range);
// throws hrm::plugin::Error(HRM_E_FORMAT) naming the file and the problem.
void validate(const Split &split, const std::string &where);

Split read_split(const std::string &split_dir);
// Writes dataset.json and the five .npy files into split_dir (created if needed).
void write_split(const std::string &split_dir, const Split &split);

std::vector<std::string> read_identifiers(const std::string &root);
void write_identifiers(const std::string &root, const std::vector<std::string> &names);

// dataset.json text exactly as Python's json.dump(metadata.model_dump()) writes it.
std::string metadata_json(const Metadata &meta);

}  // namespace hrm::data

namespace hrm::data {

// The output folder of a dataset build or import (`hrm dataset build|import -o DIR`, the ARC
// builder). Issue #24: `-o DIR` used to delete whatever DIR held, `-o .` emptied the current
// folder and `-o` naming the --train file deleted it. Now:
//   - checked before any work: DIR may be absent, empty, or hold only a dataset's own entries
//     (identifiers.json, train/, test/, test_instances.jsonl with the files the builders write);
//     anything else is refused unless `force`;
//   - never the current folder or one above it, never a file, never a folder that holds one of
//     `inputs` (even with force);
//   - everything is written into a fresh staging folder "<DIR>.partial.<pid>" that publish()
//     moves into DIR entry by entry, replacing only those entries: with force, the user's other
//     files stay. The staging folder is removed if publish() is not reached.
class DatasetOutput {
public:
    DatasetOutput(const std::string &dir, bool force, const std::vector<std::string> &inputs = {});
    ~DatasetOutput();
    DatasetOutput(const DatasetOutput &) = delete;
    DatasetOutput &operator=(const DatasetOutput &) = delete;

    const std::string &staging() const { return staging_; }
    void publish();

private:
    std::string dir_, staging_;
    bool published_ = false;
};

}  // namespace hrm::data
