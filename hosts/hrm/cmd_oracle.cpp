// hrm oracle --task NAME [FILE|-]: solve every instance with the task's exact solver and print one
// JSON line per instance, in input order, as `hrm solve` does: {"index", "input", "solution"} (with
// --stats also "solutions" and "rating"), or {"index", "input", "error"} for a bad instance, which
// is also reported on stderr with its record number. JSON lines, not the solutions' own text: a
// multi-line solution (a gridnav grid) has no record separator, and a failed record would vanish,
// so the output could not be read back (issue #24). --show prints pictures for a person instead.
// The exit code is 1 if any failed.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <hrm/common/json.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "task.hpp"

using namespace hrm::runner;

namespace {

struct Outcome {
    std::string text;       // what to print for the record
    std::string solution;   // the raw solution
    std::string error;      // non-empty when it failed
};

std::string json_line(size_t index, std::string_view input, const Outcome &o, const Oracle &stats, bool with_stats) {
    using hrm::common::json::quote;
    std::ostringstream out;
    out << "{\"index\": " << index << ", \"input\": " << quote(input);
    if (!o.error.empty()) {
        out << ", \"error\": " << quote(o.error) << "}";
        return out.str();
    }
    out << ", \"solution\": " << quote(o.solution);
    if (with_stats) out << ", \"solutions\": " << stats.solutions << ", \"rating\": " << stats.rating;
    out << "}";
    return out.str();
}

}  // namespace

int cmd_oracle(int argc, char **argv) {
    // MovingAI problems (.map + .scen) are not encoder instances: the gridnav planner runs them.
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == "--map" || std::string_view(argv[i]).rfind("--map=", 0) == 0)
            return cmd_gridnav_oracle(argc, argv);
    CommonOptions common;
    std::string task_name, input = "-", svg_path;
    bool stats = false, show = false;
    int threads = 0;
    po::options_description opts("hrm oracle options");
    opts.add_options()
        ("task,t", po::value(&task_name)->required(), "task plugin name or id (sudoku, maze, ...)")
        ("input", po::value(&input), "puzzle file in the task's format, or - for standard input (default)")
        ("stats", po::bool_switch(&stats), "also print the number of solutions (capped at 2) and the difficulty rating")
        ("show", po::bool_switch(&show), "print a picture of each solved puzzle instead of the JSON lines")
        ("svg", po::value(&svg_path), "also write the first solved puzzle as an SVG picture to this file")
        ("threads", po::value(&threads), "worker threads (default: all cores)");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("input", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm oracle --task NAME [FILE|-] [--stats] [--show]", opts, pos, vm); rc >= 0)
        return rc;

    hrm::Runtime runtime = open_runtime(common);
    hrm::Instance encoder = runtime.create(HRM_KIND_ENCODER, task_name, load_config(common).section_text("task"));
    const Task task(encoder.encoder());
    if (!task.can(HRM_ENCODER_CAN_SOLVE)) {
        std::cerr << "hrm oracle: task '" << task.name() << "' has no exact solver\n";
        return 1;
    }

    const std::string text = read_input(input);
    const auto records = task.split(text);
    const auto picture = stdout_is_terminal() ? HRM_RENDER_ANSI : HRM_RENDER_TEXT;
    std::vector<Outcome> outcomes(records.size());

    const auto t0 = std::chrono::steady_clock::now();
    {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                  threads > 0 ? size_t(threads) : tbb::this_task_arena::max_concurrency());
        tbb::parallel_for(size_t(0), records.size(), [&](size_t i) {
            try {
                const Oracle o = task.solve(records[i]);
                outcomes[i].solution = o.solution;
                std::string &out = outcomes[i].text;
                if (show && task.can(HRM_ENCODER_CAN_RENDER)) {
                    out = task.render(records[i], o.solution, picture);
                    if (stats) {
                        std::ostringstream s;
                        s << "# solutions=" << o.solutions << " rating=" << o.rating;
                        out += (out.empty() || out.back() == '\n' ? "" : "\n") + s.str();
                    }
                } else {
                    out = json_line(i, records[i], outcomes[i], o, stats);
                }
            } catch (const std::exception &e) {
                outcomes[i].error = e.what();
                outcomes[i].text = json_line(i, records[i], outcomes[i], Oracle{}, stats);
            }
        });
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    size_t failed = 0;
    for (size_t i = 0; i < outcomes.size(); ++i) {
        if (!outcomes[i].error.empty()) {
            ++failed;
            std::cerr << input << ": record " << i + 1 << ": " << outcomes[i].error << "\n";
            if (show) continue;   // a picture has nothing to show for it
        }
        std::cout << outcomes[i].text << (outcomes[i].text.empty() || outcomes[i].text.back() != '\n' ? "\n" : "");
    }
    if (!svg_path.empty()) {
        const auto first = std::find_if(outcomes.begin(), outcomes.end(), [](const Outcome &o) { return o.error.empty(); });
        if (first == outcomes.end()) {
            std::cerr << "hrm oracle: no solved puzzle to draw\n";
        } else {
            const size_t i = size_t(first - outcomes.begin());
            std::ofstream(svg_path) << task.render(records[i], first->solution, HRM_RENDER_SVG);
        }
    }
    std::cerr << "oracle: " << records.size() - failed << " solved, " << failed << " failed in " << std::fixed
              << std::setprecision(3) << seconds << " s (" << std::setprecision(0)
              << (seconds > 0 ? double(records.size()) / seconds : 0.0) << " puzzles/s)\n";
    return failed ? 1 : 0;
}
