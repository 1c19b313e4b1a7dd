// The ARC commands, on the ARC core library (plugins/tasks/arc, hrm_task_arc_core) directly: an
// ARC task file is a whole task (demonstrations and tests), not one encoder instance, and the
// evaluation needs the dataset's identifier table and every augmented copy at once.
//
//   hrm dataset build arc --data PATH... [--aug 1000] [--seed S] -o DIR
//       ARC-AGI folders (each with training/ and/or evaluation/) -> a dataset in the reference
//       layout (hrm-reference.md 4.1, 4.4) with identifiers.json. See plugins/tasks/arc/dataset.hpp
//       for the split, the deduplication and the deterministic identifier order. Also writes
//       test_instances.jsonl: the test rows as plugin instances, in row order, so that
//       `hrm solve --task arc` (with [task] identifiers = DIR/identifiers.json) runs the test
//       split and its output can be given to `hrm eval --task arc --predictions`.
//       --identifiers REF/identifiers.json builds exactly the puzzles of a reference-built dataset
//       instead, with its identifiers (a converted reference checkpoint's puzzle rows).
//   hrm eval --task arc --predictions P.jsonl --data DIR [--k 1,2,10] [--submission FILE] [--html DIR]
//       Votes the model's answers for the dataset's test rows and scores them both ways (the
//       reference's all-test-outputs-per-task rule and the ARC Prize per-test-output rule).
//       P.jsonl has one line per test row of DIR, in row order:
//         {"puzzle": "<identifier name>", "prediction": [[...]] or [900 tokens], "q_halt": <logit>}
//       "q_halt" is optional (0: confidence 0.5). --show N prints the first N tasks in the terminal. Instead of P.jsonl, --pred pred_N.npy [--q q_N.npy]
//       take `hrm forward`'s output for the test split's inputs (rows in the same order; q_halt
//       is column 0 of q_N.npy). Writes the ARC Prize submission file.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <hrm/common/json.hpp>
#include <hrm/common/npy.hpp>
#include <hrm/data/dataset.hpp>

#include "arc.hpp"  // plugins/tasks/arc
#include "cli.hpp"
#include "commands.hpp"

using namespace hrm::runner;
namespace arc = hrm::arc;
namespace fs = std::filesystem;

namespace {

hrm::data::Metadata arc_metadata(int64_t identifiers) {
    hrm::data::Metadata m;
    m.pad_id = arc::kPad;
    m.ignore_label_id = arc::kPad;
    m.vocab_size = arc::kVocabSize;
    m.seq_len = arc::kSeqLen;
    m.num_puzzle_identifiers = identifiers;
    return m;
}

// Splits hold int32 tokens in memory (sdk/data): refuse a build that cannot fit rather than be
// killed halfway. Returns the estimated bytes.
double estimated_bytes(const std::vector<arc::TaskPlan> &plans) {
    double examples = 0;
    for (const auto &p : plans) {
        const auto &t = p.source->task;
        examples += double(p.augmentations.size()) * double(t.train.size() + t.test.size());
    }
    return 1.5 * examples * double(arc::kSeqLen) * 2 * sizeof(int32_t);  // 1.5: vector growth
}

void print_split(const hrm::data::Split &s, const char *name) {
    std::cout << "  " << name << ": " << s.groups() << " groups, " << s.puzzles() << " puzzles, " << s.examples() << " examples\n";
}

void write_file(const std::string &path, const std::string &text) {
    std::ofstream f(path, std::ios::binary);
    if (!f || !(f << text)) throw std::runtime_error("cannot write " + path);
}

// "1,2,10" -> {1, 2, 10}.
std::vector<int> parse_ks(const std::string &text) {
    std::vector<int> ks;
    std::stringstream s(text);
    std::string item;
    while (std::getline(s, item, ',')) {
        size_t used = 0;
        int k = 0;
        try {
            k = std::stoi(item, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used != item.size() || k < 1) throw std::invalid_argument("--k: '" + item + "' is not a positive integer");
        ks.push_back(k);
    }
    if (ks.empty()) throw std::invalid_argument("--k: empty list");
    return ks;
}

}  // namespace

int cmd_arc_dataset(int argc, char **argv) {
    std::vector<std::string> roots;
    std::string out_dir, task_name, reference_ids;
    bool force = false;
    int aug = 1000;
    uint64_t seed = 42;
    po::options_description opts("hrm dataset build arc options");
    opts.add_options()
        ("task", po::value(&task_name), "arc")
        ("data", po::value(&roots)->multitoken()->required(), "ARC-AGI folders with training/ and/or evaluation/, or Kaggle-style *_challenges.json files (repeatable)")
        ("aug", po::value(&aug), "augmented copies of every task (default 1000, as the reference)")
        ("seed", po::value(&seed), "seed of the augmentations and translations (default 42)")
        ("identifiers", po::value(&reference_ids), "a reference builder's identifiers.json: exactly its puzzles with its "
                                                    "identifiers, for a checkpoint trained on the reference's dataset")
        ("out,o", po::value(&out_dir)->required(), "output folder: new, empty or an earlier dataset (its dataset files are replaced)")
        ("force", po::bool_switch(&force), "write into a folder that holds other files too (they are kept)")
        ("help,h", "show this help");
    po::positional_options_description pos;
    pos.add("task", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm dataset build arc --data PATH... [--aug 1000 | --identifiers REF.json] [--seed S] -o DIR", opts, pos, vm); rc >= 0)
        return rc;
    if (aug < 0 || aug > 100000 || (!task_name.empty() && task_name != "arc")) {
        std::cerr << "hrm dataset build arc: --aug must be in 0..100000 (and the task arc)\n";
        return 2;
    }
    // Checked before any work; never deletes what the build did not write (hrm::data::DatasetOutput).
    hrm::data::DatasetOutput output(out_dir, force, roots);

    if (!reference_ids.empty() && vm.count("aug")) {
        std::cerr << "hrm dataset build arc: --aug does not apply with --identifiers (the table names every augmentation)\n";
        return 2;
    }
    // The tasks and their puzzles: ours (merged, sorted, seeded augmentations), or exactly those
    // of a reference identifiers.json in its order.
    arc::Merged merged;
    std::vector<arc::SourceTask> sources;
    std::vector<arc::TaskPlan> plans;
    std::vector<std::string> names;
    int unused = 0;
    if (reference_ids.empty()) {
        merged = arc::merge_sources(arc::load_sources(roots));
        plans = arc::plan_augmentations(merged.tasks, aug, seed);
        names = arc::identifier_names(plans);
    } else {
        std::ifstream f(reference_ids, std::ios::binary);
        if (!f) throw std::runtime_error("cannot read " + reference_ids);
        const std::string text((std::istreambuf_iterator<char>(f)), {});
        const auto list = hrm::common::json::parse(text, reference_ids);
        if (!list.is_array()) throw std::runtime_error(reference_ids + ": not a JSON list of puzzle names");
        for (const auto &v : list.array) {
            if (!v.is_string()) throw std::runtime_error(reference_ids + ": entry " + std::to_string(names.size()) + " is not a string");
            names.push_back(v.string);
        }
        sources = arc::load_sources(roots);
        try {
            plans = arc::plans_from_identifiers(sources, names, unused);
        } catch (const std::exception &e) {
            throw std::runtime_error(reference_ids + ": " + e.what());
        }
        aug = 0;
        for (const auto &p : plans) aug = std::max(aug, int(p.augmentations.size()) - 1);
    }
    const double need = estimated_bytes(plans);
    const double have = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE));
    if (need > 0.8 * have) {
        std::cerr << std::fixed << std::setprecision(1) << "hrm dataset build arc: this needs about " << need / 1e9
                  << " GB of memory (int32 tokens) and the machine has " << have / 1e9 << " GB; use a smaller --aug\n";
        return 1;
    }

    // Write into the staging folder and publish at the end, so an interrupted build never leaves a
    // folder that looks complete.
    const fs::path partial(output.staging());
    // The test rows as plugin instances, in row order, for `hrm solve --task arc`.
    std::ofstream instances(partial / "test_instances.jsonl", std::ios::binary);

    hrm::data::SplitBuilder train(arc_metadata(int64_t(names.size()))), test(arc_metadata(int64_t(names.size())));
    int32_t next_id = 1;  // names[] follows the same order: plans, then augmentations
    int evaluation = 0, short_of_aug = 0;
    for (const arc::TaskPlan &plan : plans) {
        const arc::SourceTask &src = *plan.source;
        evaluation += src.evaluation;
        short_of_aug += int(plan.augmentations.size()) < aug + 1;
        arc::Rng translations(arc::mix64(seed ^ 0x7472616e736c6174ULL) ^ arc::hash_bytes(src.task.id));
        train.begin_group();
        if (src.evaluation) test.begin_group();
        for (const arc::Augmentation &a : plan.augmentations) {
            const int32_t id = next_id++;
            const arc::Task t = a.apply(src.task);
            const arc::Examples ex = arc::train_examples(t, !src.evaluation, translations);
            train.add_puzzle(id, ex.inputs, ex.labels);
            if (src.evaluation) {
                const arc::Examples te = arc::test_examples(t);
                test.add_puzzle(id, te.inputs, te.labels);
                for (size_t j = 0; j < t.test.size(); ++j)
                    instances << arc::instance_line(src.task.id, int64_t(j), {names[size_t(id)], t.test[j].input, *t.test[j].output})
                              << "\n";
            }
        }
    }

    instances.close();
    if (!instances) throw std::runtime_error("cannot write " + (partial / "test_instances.jsonl").string());
    const hrm::data::Split train_split = train.finish(), test_split = test.finish();
    hrm::data::write_identifiers(partial.string(), names);
    hrm::data::write_split((partial / "train").string(), train_split);
    hrm::data::write_split((partial / "test").string(), test_split);
    output.publish();

    std::cout << "wrote " << out_dir << ": " << plans.size() << " tasks (" << evaluation << " evaluation), ";
    if (reference_ids.empty())
        std::cout << merged.duplicates << " duplicate(s) dropped, " << merged.renamed << " renamed; ";
    else
        std::cout << "in the order of " << reference_ids << " (" << unused << " task(s) of the folders not in it); ";
    std::cout << names.size() - 1 << " puzzle identifiers";
    if (short_of_aug) std::cout << "; " << short_of_aug << " task(s) have fewer than " << aug << " distinct augmentations";
    std::cout << "\n";
    print_split(train_split, "train");
    print_split(test_split, "test");
    return 0;
}

int cmd_arc_eval(int argc, char **argv) {
    std::string task_name, predictions, pred_npy, q_npy, data, ks_text = "1,2,10", submission = "submission.json", html_dir;
    int show = 0;
    po::options_description opts("hrm eval --task arc options");
    opts.add_options()
        ("task", po::value(&task_name)->required(), "arc")
        ("predictions", po::value(&predictions), "JSON lines, one per test row of the dataset, in order")
        ("pred", po::value(&pred_npy), "or: predicted tokens [rows, 900] int32 .npy (hrm forward's pred_N.npy)")
        ("q", po::value(&q_npy), "with --pred: Q values [rows, 2] float32 .npy (hrm forward's q_N.npy)")
        ("data,d", po::value(&data)->required(), "the dataset folder (identifiers.json and test/)")
        ("k", po::value(&ks_text), "attempts to score, comma-separated (default 1,2,10)")
        ("submission", po::value(&submission), "ARC Prize submission file to write (default submission.json; '' for none)")
        ("html", po::value(&html_dir), "write one HTML page per task into this folder")
        ("show", po::value(&show), "print the first N tasks: input, attempt 1 and expected, side by side")
        ("help,h", "show this help");
    po::positional_options_description pos;
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm eval --task arc (--predictions P.jsonl | --pred pred.npy [--q q.npy]) --data DIR [--k 1,2,10] [--submission FILE]",
                            opts, pos, vm); rc >= 0)
        return rc;
    std::vector<int> ks;
    try {
        ks = parse_ks(ks_text);
    } catch (const std::exception &e) {
        std::cerr << "hrm eval: " << e.what() << "\n";
        return 2;
    }
    if (predictions.empty() == pred_npy.empty() || (!q_npy.empty() && pred_npy.empty())) {
        std::cerr << "hrm eval: give either --predictions P.jsonl or --pred pred.npy [--q q.npy]\n";
        return 2;
    }
    if (task_name != "arc") {
        std::cerr << "hrm eval --task: only arc is evaluated from a predictions file\n";
        return 2;
    }

    const std::vector<std::string> names = hrm::data::read_identifiers(data);
    const hrm::data::Split split = hrm::data::read_split((fs::path(data) / "test").string());
    const int64_t S = split.meta.seq_len;
    if (S != arc::kSeqLen) throw std::runtime_error(data + ": seq_len " + std::to_string(S) + " is not ARC's 900");
    // The test rows, cropped; padding rows (blank id) keep an empty name and take no prediction.
    std::vector<arc::TestRow> rows(size_t(split.examples()));
    for (int64_t p = 0; p < split.puzzles(); ++p) {
        const int32_t id = split.puzzle_identifiers[size_t(p)];
        if (id <= 0 || id >= int32_t(names.size())) continue;
        for (int32_t row = split.puzzle_indices[size_t(p)]; row < split.puzzle_indices[size_t(p) + 1]; ++row)
            rows[size_t(row)] = {names[size_t(id)], arc::crop(&split.inputs[size_t(row * S)]), arc::crop(&split.labels[size_t(row * S)])};
    }
    arc::Voter voter;
    arc::add_ground_truth(rows, voter);
    arc::Tally tally;
    if (!predictions.empty()) {
        std::ifstream in(predictions, std::ios::binary);
        if (!in) throw std::runtime_error("cannot read " + predictions);
        std::ostringstream text;
        text << in.rdbuf();
        tally = arc::vote_predictions(rows, text.str(), predictions, voter);
    } else {
        const auto pred = hrm::common::read_npy(pred_npy);
        const std::vector<int32_t> tokens = pred.as<int32_t>(hrm::common::DType::I32, pred_npy);
        if (pred.shape.size() != 2 || pred.shape[1] != S || pred.shape[0] > int64_t(rows.size()))
            throw std::runtime_error(pred_npy + ": expected [rows <= " + std::to_string(rows.size()) + ", 900] tokens");
        std::vector<float> q;
        if (!q_npy.empty()) {
            const auto qa = hrm::common::read_npy(q_npy);
            q = qa.as<float>(hrm::common::DType::F32, q_npy);
            if (qa.shape.size() != 2 || qa.shape[0] != pred.shape[0] || qa.shape[1] < 1)
                throw std::runtime_error(q_npy + ": expected [" + std::to_string(pred.shape[0]) + ", 2] Q values");
        }
        for (int64_t i = 0; i < pred.shape[0]; ++i) {
            const arc::TestRow &r = rows[size_t(i)];
            if (r.puzzle.empty()) continue;  // padding row
            const double q_halt = q.empty() ? 0.0 : double(q[size_t(i * (int64_t(q.size()) / pred.shape[0]))]);
            ++tally.predicted;
            if (!voter.add_prediction(r.puzzle, r.input, arc::crop(&tokens[size_t(i * S)]), q_halt)) ++tally.unmatched;
        }
    }
    const auto results = voter.results();
    int64_t outputs = 0;
    for (const auto &r : results) outputs += int64_t(r.tests.size());

    std::cout << "ARC evaluation: " << results.size() << " tasks, " << outputs << " test outputs; " << tally.predicted << " of "
              << rows.size() << " test rows predicted";
    if (tally.unmatched) std::cout << ", " << tally.unmatched << " not matched to a test input";
    std::cout << "\n\n  pass@k   reference (every test output of a task)   ARC Prize (per test output)\n";
    for (int k : ks) {
        const arc::Score s = arc::score(results, k);
        std::ostringstream ref;
        ref << std::fixed << std::setprecision(2) << 100 * s.reference << "% (" << int(s.reference * s.tasks + 0.5) << "/" << s.tasks << ")";
        std::cout << "  " << std::left << std::setw(9) << k << std::setw(42) << ref.str() << std::fixed << std::setprecision(2)
                  << 100 * s.official << "%\n";
    }
    std::cout << "\n  The official ARC Prize score is the ARC Prize column at k = 2.\n";
    for (size_t i = 0; i < results.size() && int(i) < show; ++i)
        for (size_t j = 0; j < results[i].tests.size(); ++j) {
            const arc::TestResult &t = results[i].tests[j];
            const arc::Grid top = t.ranked.empty() ? arc::Grid() : t.ranked[0].grid;
            std::cout << "\n" << results[i].task << " test " << j << (t.solved_at(1) ? ": solved" : ": not solved") << " at 1\n"
                      << arc::render_text({{"input", t.input}, {"attempt 1", top}, {"expected", t.expected.value_or(arc::Grid())}},
                                          stdout_is_terminal());
        }
    if (!submission.empty()) {
        write_file(submission, arc::submission_json(results));
        std::cout << "wrote " << submission << "\n";
    }
    if (!html_dir.empty()) {
        fs::create_directories(html_dir);
        for (const auto &r : results) write_file((fs::path(html_dir) / (r.task + ".html")).string(), arc::render_html(r));
        std::cout << "wrote " << results.size() << " page(s) to " << html_dir << "\n";
    }
    return 0;
}
