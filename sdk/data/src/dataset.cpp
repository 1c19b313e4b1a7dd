#include "hrm/data/dataset.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "hrm/common/error.hpp"
#include "hrm/common/json.hpp"
#include "hrm/common/npy.hpp"

namespace hrm::data {
namespace fs = std::filesystem;
using common::DType;
using common::fail;

namespace {

// Python's repr(float): the shortest decimal that reads back to the same double, with ".0" for
// integral values (json.dump uses float.__repr__).
std::string python_float(double x) {
    char buf[32];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, x);
        if (std::strtod(buf, nullptr) == x) break;
    }
    std::string s = buf;
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return s;
}

std::string file_of(const std::string &dir, const char *name) { return (fs::path(dir) / name).string(); }

std::string npy_name(const char *field) { return std::string("all__") + field + ".npy"; }

std::vector<int32_t> read_i32(const std::string &dir, const char *field, int ndim) {
    const std::string path = file_of(dir, npy_name(field).c_str());
    const auto a = common::read_npy(path);
    if (int(a.shape.size()) != ndim)
        fail(HRM_E_FORMAT, path + ": expected " + std::to_string(ndim) + " dimensions, got " + common::shape_str(a.shape));
    switch (a.dtype) {   // the reference writes uint8 tokens and int32 indices; accept any integer type
    case DType::U8: {
        const auto v = a.as<uint8_t>(DType::U8, path);
        return std::vector<int32_t>(v.begin(), v.end());
    }
    case DType::I32: return a.as<int32_t>(DType::I32, path);
    case DType::I64: {
        std::vector<int32_t> out;
        for (int64_t x : a.as<int64_t>(DType::I64, path)) {
            if (x < INT32_MIN || x > INT32_MAX) fail(HRM_E_FORMAT, path + ": value " + std::to_string(x) + " out of int32 range");
            out.push_back(int32_t(x));
        }
        return out;
    }
    default: fail(HRM_E_FORMAT, path + ": expected an integer array, got " + common::dtype_name(a.dtype));
    }
}

int64_t get_int(const common::json::Value &doc, const char *key, const std::string &where) {
    const auto *v = doc.find(key);
    if (!v || v->type != common::json::Value::Type::Number || !v->is_integer)
        fail(HRM_E_FORMAT, where + ": '" + key + "' must be an integer");
    return v->integer;
}

// An int32 field: checked before narrowing, so 4294967296 is an error and not 0.
int32_t get_int32(const common::json::Value &doc, const char *key, const std::string &where) {
    const int64_t v = get_int(doc, key, where);
    if (v < INT32_MIN || v > INT32_MAX) fail(HRM_E_FORMAT, where + ": '" + key + "' is out of the int32 range");
    return int32_t(v);
}

void check_csr(const std::vector<int32_t> &idx, int64_t end, const std::string &what) {
    if (idx.empty() || idx.front() != 0) fail(HRM_E_FORMAT, what + " must start at 0");
    for (size_t i = 1; i < idx.size(); ++i)
        if (idx[i] < idx[i - 1]) fail(HRM_E_FORMAT, what + " decreases at entry " + std::to_string(i));
    if (idx.back() != end)
        fail(HRM_E_FORMAT, what + " ends at " + std::to_string(idx.back()) + ", expected " + std::to_string(end));
}

}  // namespace

SplitBuilder::SplitBuilder(Metadata meta) {
    split_.meta = std::move(meta);
    split_.puzzle_indices = {0};
    split_.group_indices = {0};
}

void SplitBuilder::begin_group() {
    if (split_.group_indices.back() != split_.puzzles()) split_.group_indices.push_back(int32_t(split_.puzzles()));
}

void SplitBuilder::add_puzzle(int32_t puzzle_identifier, const std::vector<int32_t> &inputs,
                              const std::vector<int32_t> &labels) {
    const int64_t S = split_.meta.seq_len;
    if (inputs.size() != labels.size() || inputs.empty() || int64_t(inputs.size()) % S)
        fail(HRM_E_INVALID_ARG, "add_puzzle: inputs and labels must hold whole examples of seq_len tokens");
    split_.inputs.insert(split_.inputs.end(), inputs.begin(), inputs.end());
    split_.labels.insert(split_.labels.end(), labels.begin(), labels.end());
    split_.puzzle_identifiers.push_back(puzzle_identifier);
    split_.puzzle_indices.push_back(int32_t(split_.examples()));
}

Split SplitBuilder::finish() {
    begin_group();   // closes the last group
    split_.meta.total_groups = split_.groups();
    split_.meta.mean_puzzle_examples = split_.puzzles() ? double(split_.examples()) / double(split_.puzzles()) : 0.0;
    return std::move(split_);
}

void validate(const Split &s, const std::string &where) {
    const auto &m = s.meta;
    if (m.seq_len <= 0 || m.vocab_size <= 0) fail(HRM_E_FORMAT, where + ": seq_len and vocab_size must be positive");
    // pad_id fills test batches and blank_identifier_id their puzzle ids: out of range, training
    // failed only at its first evaluation (issue #24).
    if (m.pad_id < 0 || m.pad_id >= m.vocab_size)
        fail(HRM_E_FORMAT, where + ": pad_id " + std::to_string(m.pad_id) + " is outside [0, vocab_size " +
                               std::to_string(m.vocab_size) + ")");
    if (m.num_puzzle_identifiers < 1 || m.blank_identifier_id < 0 || m.blank_identifier_id >= m.num_puzzle_identifiers)
        fail(HRM_E_FORMAT, where + ": blank_identifier_id " + std::to_string(m.blank_identifier_id) +
                               " is outside [0, num_puzzle_identifiers " + std::to_string(m.num_puzzle_identifiers) + ")");
    if (s.inputs.size() != s.labels.size())
        fail(HRM_E_FORMAT, where + ": inputs and labels differ in size");
    if (int64_t(s.inputs.size()) % m.seq_len) fail(HRM_E_FORMAT, where + ": inputs are not whole rows of seq_len");
    check_csr(s.puzzle_indices, s.examples(), where + ": puzzle_indices");
    check_csr(s.group_indices, s.puzzles(), where + ": group_indices");
    if (int64_t(s.puzzle_indices.size()) != s.puzzles() + 1)
        fail(HRM_E_FORMAT, where + ": puzzle_indices must have one more entry than puzzle_identifiers");
    if (m.total_groups != s.groups())
        fail(HRM_E_FORMAT, where + ": total_groups is " + std::to_string(m.total_groups) + " but group_indices holds " +
                               std::to_string(s.groups()));
    for (size_t i = 0; i < s.inputs.size(); ++i) {
        if (s.inputs[i] < 0 || s.inputs[i] >= m.vocab_size || s.labels[i] < 0 || s.labels[i] >= m.vocab_size)
            fail(HRM_E_FORMAT, where + ": token out of [0, vocab_size) in example " + std::to_string(i / m.seq_len) +
                                   " position " + std::to_string(i % m.seq_len));
    }
    for (size_t p = 0; p < s.puzzle_identifiers.size(); ++p)
        if (s.puzzle_identifiers[p] < 0 || s.puzzle_identifiers[p] >= m.num_puzzle_identifiers)
            fail(HRM_E_FORMAT, where + ": puzzle " + std::to_string(p) + " has identifier " +
                                   std::to_string(s.puzzle_identifiers[p]) + " >= num_puzzle_identifiers");
}

std::string metadata_json(const Metadata &m) {
    std::string sets;
    for (const auto &name : m.sets) sets += (sets.empty() ? "" : ", ") + common::json::quote(name);
    return "{\"pad_id\": " + std::to_string(m.pad_id) + ", \"ignore_label_id\": " +
           (m.ignore_label_id ? std::to_string(*m.ignore_label_id) : std::string("null")) +
           ", \"blank_identifier_id\": " + std::to_string(m.blank_identifier_id) +
           ", \"vocab_size\": " + std::to_string(m.vocab_size) + ", \"seq_len\": " + std::to_string(m.seq_len) +
           ", \"num_puzzle_identifiers\": " + std::to_string(m.num_puzzle_identifiers) +
           ", \"total_groups\": " + std::to_string(m.total_groups) +
           ", \"mean_puzzle_examples\": " + python_float(m.mean_puzzle_examples) + ", \"sets\": [" + sets + "]}";
}

Split read_split(const std::string &dir) {
    const std::string meta_path = file_of(dir, "dataset.json");
    const common::MappedFile file(meta_path);
    const auto doc = common::json::parse(
        std::string_view(reinterpret_cast<const char *>(file.data()), file.size()), meta_path);
    if (!doc.is_object()) fail(HRM_E_FORMAT, meta_path + ": expected a JSON object");

    Split s;
    auto &m = s.meta;
    m.pad_id = get_int32(doc, "pad_id", meta_path);
    const auto *ignore = doc.find("ignore_label_id");
    if (ignore && ignore->type == common::json::Value::Type::Null) m.ignore_label_id.reset();
    else m.ignore_label_id = get_int32(doc, "ignore_label_id", meta_path);
    m.blank_identifier_id = get_int32(doc, "blank_identifier_id", meta_path);
    m.vocab_size = get_int(doc, "vocab_size", meta_path);
    m.seq_len = get_int(doc, "seq_len", meta_path);
    m.num_puzzle_identifiers = get_int(doc, "num_puzzle_identifiers", meta_path);
    m.total_groups = get_int(doc, "total_groups", meta_path);
    const auto *mean = doc.find("mean_puzzle_examples");
    if (!mean || mean->type != common::json::Value::Type::Number)
        fail(HRM_E_FORMAT, meta_path + ": 'mean_puzzle_examples' must be a number");
    m.mean_puzzle_examples = mean->number;
    m.sets.clear();
    if (const auto *sets = doc.find("sets"); sets && sets->is_array())
        for (const auto &v : sets->array) m.sets.push_back(v.string);
    if (m.sets != std::vector<std::string>{"all"})
        fail(HRM_E_FORMAT, meta_path + ": only the set \"all\" is supported");

    s.inputs = read_i32(dir, "inputs", 2);
    s.labels = read_i32(dir, "labels", 2);
    s.puzzle_identifiers = read_i32(dir, "puzzle_identifiers", 1);
    s.puzzle_indices = read_i32(dir, "puzzle_indices", 1);
    s.group_indices = read_i32(dir, "group_indices", 1);
    validate(s, dir);
    return s;
}

void write_split(const std::string &dir, const Split &s) {
    validate(s, dir);
    fs::create_directories(dir);
    const auto &m = s.meta;
    {
        const std::string text = metadata_json(m);
        common::AtomicWriter out(file_of(dir, "dataset.json"));
        out.write(text.data(), text.size());
        out.commit();
    }
    // Tokens as uint8 like the reference builders (every reference vocabulary is < 256).
    const bool narrow = m.vocab_size <= 256;
    auto write_tokens = [&](const char *field, const std::vector<int32_t> &v) {
        const std::vector<int64_t> shape{s.examples(), m.seq_len};
        if (narrow) {
            const std::vector<uint8_t> bytes(v.begin(), v.end());
            common::write_npy(file_of(dir, npy_name(field).c_str()), DType::U8, shape, bytes.data());
        } else {
            common::write_npy(file_of(dir, npy_name(field).c_str()), DType::I32, shape, v.data());
        }
    };
    auto write_index = [&](const char *field, const std::vector<int32_t> &v) {
        common::write_npy(file_of(dir, npy_name(field).c_str()), DType::I32, {int64_t(v.size())}, v.data());
    };
    write_tokens("inputs", s.inputs);
    write_tokens("labels", s.labels);
    write_index("puzzle_identifiers", s.puzzle_identifiers);
    write_index("puzzle_indices", s.puzzle_indices);
    write_index("group_indices", s.group_indices);
}

std::vector<std::string> read_identifiers(const std::string &root) {
    const std::string path = file_of(root, "identifiers.json");
    const common::MappedFile file(path);
    const auto doc = common::json::parse(std::string_view(reinterpret_cast<const char *>(file.data()), file.size()), path);
    if (!doc.is_array()) fail(HRM_E_FORMAT, path + ": expected a JSON list of names");
    std::vector<std::string> names;
    for (const auto &v : doc.array) {
        if (!v.is_string()) fail(HRM_E_FORMAT, path + ": every identifier name must be a string");
        names.push_back(v.string);
    }
    return names;
}

void write_identifiers(const std::string &root, const std::vector<std::string> &names) {
    fs::create_directories(root);
    std::string text = "[";
    for (size_t i = 0; i < names.size(); ++i) text += (i ? ", " : "") + common::json::quote(names[i]);
    text += "]";
    common::AtomicWriter out(file_of(root, "identifiers.json"));
    out.write(text.data(), text.size());
    out.commit();
}

}  // namespace hrm::data

namespace hrm::data {
namespace {

// The entries a builder writes: what may be replaced without --force.
bool is_dataset_entry(const fs::path &entry) {
    const std::string name = entry.filename().string();
    if (name == "identifiers.json" || name == "test_instances.jsonl") return fs::is_regular_file(entry);
    if (name != "train" && name != "test") return false;
    if (!fs::is_directory(entry) || fs::is_symlink(entry)) return false;
    for (const auto &f : fs::directory_iterator(entry)) {
        const std::string n = f.path().filename().string();
        const bool npy = n.rfind("all__", 0) == 0 && n.size() > 9 && n.substr(n.size() - 4) == ".npy";
        if (!(n == "dataset.json" || npy) || !f.is_regular_file()) return false;
    }
    return true;
}

// a is b or inside b (both made absolute and normal; symlinks resolved where they exist).
bool within(const fs::path &a, const fs::path &b) {
    const fs::path x = fs::weakly_canonical(a), y = fs::weakly_canonical(b);
    auto i = x.begin();
    for (auto j = y.begin(); j != y.end(); ++j, ++i)
        if (i == x.end() || *i != *j) return false;
    return true;
}

}  // namespace

DatasetOutput::DatasetOutput(const std::string &dir, bool force, const std::vector<std::string> &inputs) : dir_(dir) {
    const fs::path d(dir);
    if (dir.empty()) fail(HRM_E_INVALID_ARG, "-o: empty output folder");
    if (within(fs::current_path(), d))
        fail(HRM_E_INVALID_ARG, "-o " + dir + ": the current folder (or one above it) cannot be the output folder");
    for (const std::string &in : inputs)
        if (!in.empty() && within(in, d))
            fail(HRM_E_INVALID_ARG, "-o " + dir + ": holds the input " + in + "; choose another output folder");
    if (fs::exists(fs::symlink_status(d))) {
        if (!fs::is_directory(d)) fail(HRM_E_INVALID_ARG, "-o " + dir + ": exists and is not a folder");
        if (!force)
            for (const auto &e : fs::directory_iterator(d))
                if (!is_dataset_entry(e.path()))
                    fail(HRM_E_INVALID_ARG, "-o " + dir + ": holds " + e.path().filename().string() +
                                                ", which is not part of a dataset; choose an empty or new folder, or "
                                                "pass --force to write the dataset next to it");
    }
    staging_ = dir + ".partial." + std::to_string(::getpid());
    if (fs::exists(fs::symlink_status(staging_)))
        fail(HRM_E_INVALID_ARG, staging_ + " exists (left by an earlier run?): remove it or choose another folder");
    fs::create_directories(staging_);
}

DatasetOutput::~DatasetOutput() {
    if (published_) return;
    std::error_code ec;   // only what this run created
    fs::remove_all(staging_, ec);
}

void DatasetOutput::publish() {
    const fs::path d(dir_), s(staging_);
    if (!fs::exists(d)) {
        fs::rename(s, d);
    } else {
        // Entry by entry, replacing only the entries the build wrote; the rest of DIR stays, except
        // dataset entries this build did not write (an older build's test_instances.jsonl).
        for (const auto &e : fs::directory_iterator(d))
            if (is_dataset_entry(e.path()) && !fs::exists(s / e.path().filename())) fs::remove_all(e.path());
        for (const auto &e : fs::directory_iterator(s)) {
            const fs::path target = d / e.path().filename();
            fs::remove_all(target);
            fs::rename(e.path(), target);
        }
        fs::remove(s);
    }
    published_ = true;
}

}  // namespace hrm::data
