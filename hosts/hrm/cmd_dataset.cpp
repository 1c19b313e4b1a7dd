// hrm dataset build|import|info: datasets in the reference layout (sdk/data), for any task plugin
// through the encoder ABI, so a third-party task gets dataset building for free.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <tbb/parallel_for.h>

#include <hrm/data/dataset.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "task.hpp"

using namespace hrm::runner;
namespace fs = std::filesystem;

namespace {

// splitmix64: derives independent seeds from (seed, stream, index) so every instance and
// augmentation is a pure function of the dataset seed, whatever the thread count.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
uint64_t derive(uint64_t seed, uint64_t stream, uint64_t index) { return mix(mix(mix(seed) ^ stream) ^ index); }

enum : uint64_t { kStreamTrain = 1, kStreamTest = 2, kStreamAugment = 3 };

hrm::data::Metadata metadata_of(const Task &task) {
    const auto &spec = task.spec();
    hrm::data::Metadata m;
    m.pad_id = spec.pad_id;
    if (spec.ignore_label_id >= 0) m.ignore_label_id = spec.ignore_label_id;
    else m.ignore_label_id.reset();
    m.vocab_size = spec.vocab_size;
    m.seq_len = spec.seq_len;
    m.num_puzzle_identifiers = spec.num_puzzle_identifiers;
    return m;
}

// One group per instance: the original puzzle, then `augmentations` augmented copies.
hrm::data::Split make_split(const Task &task, const std::vector<std::string> &instances, int64_t augmentations,
                            uint64_t seed, const std::string &what) {
    std::vector<hrm::runner::Encoded> encoded(instances.size());
    std::vector<std::string> errors(instances.size());
    tbb::parallel_for(size_t(0), instances.size(), [&](size_t i) {
        try {
            encoded[i] = task.encode(instances[i]);
            if (encoded[i].labels.empty()) errors[i] = "has no solution (labels are needed for a dataset)";
        } catch (const std::exception &e) {
            errors[i] = e.what();
        }
    });
    for (size_t i = 0; i < errors.size(); ++i)
        if (!errors[i].empty()) throw std::runtime_error(what + " instance " + std::to_string(i + 1) + ": " + errors[i]);

    hrm::data::SplitBuilder builder(metadata_of(task));
    for (size_t i = 0; i < encoded.size(); ++i) {
        builder.begin_group();
        const auto &e = encoded[i];
        builder.add_puzzle(e.puzzle_id, e.tokens, e.labels);
        for (int64_t k = 1; k <= augmentations; ++k) {
            std::vector<int32_t> rows = e.tokens;   // inputs and labels transformed together
            rows.insert(rows.end(), e.labels.begin(), e.labels.end());
            task.augment(derive(seed, kStreamAugment, i * 1000003ULL + uint64_t(k)) | 1, false, rows);
            const auto half = rows.begin() + ptrdiff_t(e.tokens.size());
            builder.add_puzzle(e.puzzle_id, std::vector<int32_t>(rows.begin(), half), std::vector<int32_t>(half, rows.end()));
        }
    }
    return builder.finish();
}

// Writes into DatasetOutput's staging folder and publishes it at the end, so an interrupted
// build never leaves a directory that looks complete and never deletes what it did not write.
void write_dataset(hrm::data::DatasetOutput &out, const hrm::data::Split &train, const hrm::data::Split &test) {
    const fs::path partial(out.staging());
    hrm::data::write_identifiers(partial.string(), {"<blank>"});
    hrm::data::write_split((partial / "train").string(), train);
    hrm::data::write_split((partial / "test").string(), test);
    out.publish();
}

void print_summary(const hrm::data::Split &s, const char *name) {
    std::cout << "  " << name << ": " << s.groups() << " groups, " << s.puzzles() << " puzzles, " << s.examples()
              << " examples; seq_len " << s.meta.seq_len << ", vocab " << s.meta.vocab_size << ", "
              << s.meta.num_puzzle_identifiers << " puzzle identifier(s)\n";
}

std::vector<std::string> generate(const Task &task, int64_t n, uint64_t seed, uint64_t stream, const std::string &options) {
    std::vector<std::string> out(static_cast<size_t>(n));
    tbb::parallel_for(int64_t(0), n, [&](int64_t i) { out[size_t(i)] = task.generate(derive(seed, stream, uint64_t(i)), options); });
    return out;
}

std::vector<std::string> read_records(const Task &task, const std::string &path, int64_t limit) {
    const std::string text = read_input(path);
    std::vector<std::string> out;
    for (auto r : task.split(text)) {
        if (limit >= 0 && int64_t(out.size()) >= limit) break;
        out.emplace_back(r);
    }
    return out;
}

constexpr int64_t kMaxAugmentations = 100000, kMaxPuzzles = 100000000;

int build_or_import(int argc, char **argv, bool import) {
    CommonOptions common;
    std::string task_name, out_dir, gen_options, gen_kind, train_file, test_file, save_test;
    bool force = false;
    std::vector<std::string> maps;
    int64_t n_train = 1000, n_test = 100, aug = 0;
    uint64_t seed = 0;
    po::options_description opts(import ? "hrm dataset import options" : "hrm dataset build options");
    opts.add_options()
        ("task", po::value(&task_name)->required(), "task plugin name or id")
        ("out,o", po::value(&out_dir)->required(), "output folder: new, empty or an earlier dataset (its dataset files are replaced)")
        ("force", po::bool_switch(&force), "write into a folder that holds other files too (they are kept)")
        ("aug", po::value(&aug), "augmented copies of each training puzzle (default 0)")
        ("seed", po::value(&seed), "seed: the same seed gives the same bytes (default 0)")
        ("save-test", po::value(&save_test), "also write the test instances, with their solutions, to this file in the task's format");
    if (import) {
        opts.add_options()
            ("train", po::value(&train_file)->required(), "training puzzles with solutions, in the task's format")
            ("test", po::value(&test_file), "test puzzles with solutions")
            ("limit", po::value(&n_train)->default_value(-1), "use at most this many training puzzles");
    } else {
        opts.add_options()
            ("train", po::value(&n_train), "generated training puzzles (default 1000)")
            ("test", po::value(&n_test), "generated test puzzles (default 100)")
            ("gen", po::value(&gen_options), "generator options as TOML text, e.g. 'givens = 30'")
            ("generate", po::value(&gen_kind), "generator kind, short for --gen 'kind = \"KIND\"' (gridnav: obstacles, rooms, maze, warehouse)")
            ("maps", po::value(&maps)->multitoken(),
             "gridnav: cut the instances from these MovingAI .map/.scen files or folders instead of generating");
    }
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("task", 1);
    po::variables_map vm;
    const char *usage = import ? "hrm dataset import TASK --train FILE [--test FILE] [--aug K] [--seed S] -o DIR"
                               : "hrm dataset build TASK --train N --test M [--aug K] [--seed S] [--gen TOML | --generate KIND | --maps FILES] -o DIR";
    if (int rc = parse_args(argc, argv, usage, opts, pos, vm); rc >= 0) return rc;
    if (aug < 0 || (!import && (n_train < 0 || n_test < 0))) {
        std::cerr << "hrm dataset: counts must not be negative\n";
        return 2;
    }
    // Size limits (issue #24: --aug 1e9 ran without end): far above the reference's 1000.
    if (aug > kMaxAugmentations || n_train > kMaxPuzzles || n_test > kMaxPuzzles) {
        std::cerr << "hrm dataset: --aug is at most " << kMaxAugmentations << " and --train/--test at most "
                  << kMaxPuzzles << "\n";
        return 2;
    }
    // The output folder is checked before any work (hrm::data::DatasetOutput).
    std::vector<std::string> inputs = maps;
    for (const std::string &f : {train_file, test_file, save_test})
        if (!f.empty()) inputs.push_back(f);
    hrm::data::DatasetOutput output(out_dir, force, inputs);

    hrm::Runtime runtime = open_runtime(common);
    hrm::Instance encoder = runtime.create(HRM_KIND_ENCODER, task_name, load_config(common).section_text("task"));
    const Task task(encoder.encoder());
    if (aug > 0 && !task.can(HRM_ENCODER_CAN_AUGMENT)) {
        std::cerr << "hrm dataset: task '" << task.name() << "' has no augmentations\n";
        return 2;
    }

    std::vector<std::string> train, test;
    if (import) {
        train = read_records(task, train_file, n_train);
        if (!test_file.empty()) test = read_records(task, test_file, -1);
    } else if (!maps.empty()) {
        if (std::string(task.name()) != "gridnav") {
            std::cerr << "hrm dataset: --maps is for the gridnav task\n";
            return 2;
        }
        // A seeded shuffle, then the test split first: the same maps and seed give the same split.
        auto windows = gridnav_map_windows(maps, load_config(common));
        for (size_t i = windows.size(); i > 1; --i) std::swap(windows[i - 1], windows[derive(seed, kStreamTest, i) % i]);
        const size_t n_te = std::min(windows.size(), size_t(n_test));
        test.assign(windows.begin(), windows.begin() + ptrdiff_t(n_te));
        train.assign(windows.begin() + ptrdiff_t(n_te),
                     windows.begin() + ptrdiff_t(std::min(windows.size(), n_te + size_t(n_train))));
    } else {
        if (!task.can(HRM_ENCODER_CAN_GENERATE)) {
            std::cerr << "hrm dataset: task '" << task.name() << "' has no generator; use 'hrm dataset import'\n";
            return 2;
        }
        if (!gen_kind.empty()) gen_options += "\nkind = \"" + gen_kind + "\"\n";
        train = generate(task, n_train, seed, kStreamTrain, gen_options);
        test = generate(task, n_test, seed, kStreamTest, gen_options);
    }
    const auto train_split = make_split(task, train, aug, seed, "train");
    const auto test_split = make_split(task, test, 0, seed, "test");
    write_dataset(output, train_split, test_split);
    std::cout << "wrote " << out_dir << "\n";
    if (!save_test.empty()) {
        // Held-out instances as text, e.g. for `hrm solve`; multi-line records are separated by
        // an empty line, which every task's split() skips.
        std::ofstream f(save_test);
        for (const auto &r : test) f << r << (r.find('\n') == std::string::npos ? "\n" : "\n\n");
        if (!f.flush()) throw std::runtime_error("cannot write '" + save_test + "'");
        std::cout << "wrote " << test.size() << " test instances to " << save_test << "\n";
    }
    print_summary(train_split, "train");
    print_summary(test_split, "test");
    return 0;
}

int info(int argc, char **argv) {
    std::string dir;
    po::options_description opts("hrm dataset info options");
    opts.add_options()("dir", po::value(&dir)->required(), "dataset folder")("help,h", "show this help");
    po::positional_options_description pos;
    pos.add("dir", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm dataset info DIR", opts, pos, vm); rc >= 0) return rc;

    const auto names = hrm::data::read_identifiers(dir);
    std::cout << dir << ": valid reference-layout dataset, " << names.size() << " identifier name(s)\n";
    for (const char *split : {"train", "test"}) {
        const fs::path p = fs::path(dir) / split;
        if (!fs::exists(p)) {
            std::cout << "  " << split << ": absent\n";
            continue;
        }
        const auto s = hrm::data::read_split(p.string());   // validates every invariant
        print_summary(s, split);
    }
    return 0;
}

}  // namespace

int cmd_dataset(int argc, char **argv) {
    const std::string usage = "usage: hrm dataset build|import|info ... (hrm dataset <verb> --help)\n";
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    const std::string verb = argv[1];
    if (verb == "build" && argc > 2 && std::string(argv[2]) == "arc") return cmd_arc_dataset(argc - 1, argv + 1);
    if (verb == "build") return build_or_import(argc - 1, argv + 1, false);
    if (verb == "import") return build_or_import(argc - 1, argv + 1, true);
    if (verb == "info") return info(argc - 1, argv + 1);
    if (verb == "--help" || verb == "-h") {
        std::cout << usage;
        return 0;
    }
    std::cerr << "hrm dataset: unknown verb '" << verb << "'\n" << usage;
    return 2;
}
