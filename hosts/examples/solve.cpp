// solve.cpp - embedding libhrm in a C++17 application with hrm/hrm.hpp (RAII handles, hrm::Error
// exceptions). Same command line, output and exit status as solve.c:
//
//   hrm_example_solve_cpp [--model PATH] [--arch NAME] [--policy NAME] [--policy-config TOML]
//                         [--batch N] [--threads N] [--seed N] [--plugins DIR] TASK FILE
//
// With --model (a .safetensors checkpoint, or a .toml config for fresh untrained weights) a session
// solves the puzzles in batches; without, the task's exact solver does. One line per puzzle:
// "<index>\t<verified|rejected|unchecked|error>\t<solution or message>", plus "\tsegments=<n>" with
// --model. Ctrl-C stops at the next segment and still prints what finished (exit 130).
#include <hrm/hrm.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
    std::string task, file, model, arch = "hrm", policy = "q-halt", policy_config, plugins;
    int64_t batch = 64, threads = 0;
    uint64_t seed = 0;
};

struct Counts {
    int64_t verified = 0, errors = 0;
};

volatile std::sig_atomic_t g_interrupted = 0;

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// segments < 0: not a session (the exact solver ran), no segments column.
void print_line(int64_t index, int32_t verified, std::string_view solution, const hrm_status *error,
                int32_t segments, Counts &c) {
    if (error) {
        std::cout << index << "\terror\t" << hrm_status_message(error);
        ++c.errors;
    } else {
        std::cout << index << "\t" << (verified == 1 ? "verified" : verified == 0 ? "rejected" : "unchecked")
                  << "\t" << solution;
        c.verified += verified == 1;
    }
    if (segments >= 0) std::cout << "\tsegments=" << segments;
    std::cout << "\n";
}

// The task's exact solver and verifier, instance by instance. Errors of one instance are printed
// on its line; the others go on.
void solve_with_oracle(const hrm::Instance &task, const std::vector<hrm_blob> &instances, Counts &c) {
    const hrm_encoder *enc = task.encoder();
    if (!enc->solve) throw std::runtime_error("task " + std::string(task.descriptor().name) + " has no exact solver; give --model");
    for (size_t i = 0; i < instances.size(); ++i) {
        hrm::Blob solution;   // frees what the plugin allocated
        int32_t valid = -1;
        hrm_status *st = enc->solve(enc, &instances[i], solution.out(), nullptr);
        if (!st) st = enc->verify(enc, &instances[i], solution.get(), &valid, nullptr);
        print_line(int64_t(i), valid, solution.str(), st, -1, c);
        hrm_status_free(st);
    }
}

// hrm.hpp has no session wrapper (sessions are plain C): unique_ptr with the C free functions.
using SessionPtr = std::unique_ptr<hrm_session, decltype(&hrm_session_free)>;

// Clears every result (solution and error blobs) however the scope is left.
struct Results {
    std::vector<hrm_result> items;
    explicit Results(size_t n) : items(n) {}
    ~Results() {
        for (hrm_result &r : items) hrm_result_clear(&r);
    }
};

// Returns true when the solve ran to the end, false when Ctrl-C cancelled it.
bool solve_with_session(hrm::Runtime &rt, const Options &o, const hrm::Instance &task,
                        const std::vector<hrm_blob> &instances, Counts &c) {
    // A .toml file is a model config (fresh weights from the seed); anything else a checkpoint
    // whose metadata holds the config.
    const bool fresh = ends_with(o.model, ".toml");
    hrm::Instance model = rt.create(HRM_KIND_MODEL, o.arch, fresh ? read_file(o.model) : std::string(),
                                    fresh ? nullptr : o.model.c_str(), o.seed);
    hrm::Instance policy = rt.create(HRM_KIND_POLICY, o.policy, o.policy_config);

    hrm_session_params sp;
    hrm_session_params_init(&sp, sizeof sp);
    sp.batch_size = o.batch;
    sp.n_threads = int32_t(o.threads);
    sp.seed = o.seed;
    hrm_session *raw = nullptr;
    hrm::check(hrm_session_create(model.get(), task.get(), policy.get(), &sp, &raw));
    SessionPtr session(raw, &hrm_session_free);   // declared after the instances: freed before them

    Results results(instances.size());
    auto on_progress = [](int64_t, int64_t, void *) -> bool { return !g_interrupted; };
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    hrm_status *st = hrm_session_solve(session.get(), instances.data(), int64_t(instances.size()),
                                       results.items.data(), sizeof(hrm_result), on_progress, nullptr);
    std::signal(SIGINT, SIG_DFL);
    // Every result is written, also after a failure or a cancel.
    for (size_t i = 0; i < instances.size(); ++i) {
        const hrm_result &r = results.items[i];
        print_line(int64_t(i), r.verified,
                   std::string_view(static_cast<const char *>(r.solution.data), r.solution.size), r.error,
                   r.segments, c);
    }
    if (st && hrm_status_code(st) == HRM_E_CANCELLED) {
        hrm_status_free(st);
        return false;
    }
    hrm::check(st);
    return true;
}

int usage(const char *argv0) {
    std::cerr << "usage: " << argv0
              << " [--model PATH] [--arch NAME] [--policy NAME] [--policy-config TOML] [--batch N]\n"
                 "          [--threads N] [--seed N] [--plugins DIR] TASK FILE\n";
    return 2;
}

}  // namespace

int main(int argc, char **argv) {
    Options o;
    std::vector<std::string> positional;
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        if (arg.empty() || arg[0] != '-') {
            positional.push_back(arg);
            continue;
        }
        if (a + 1 >= argc) return usage(argv[0]);
        const std::string value = argv[++a];
        if (arg == "--model") o.model = value;
        else if (arg == "--arch") o.arch = value;
        else if (arg == "--policy") o.policy = value;
        else if (arg == "--policy-config") o.policy_config = value;
        else if (arg == "--plugins") o.plugins = value;
        else if (arg == "--batch") o.batch = std::stoll(value);
        else if (arg == "--threads") o.threads = std::stoll(value);
        else if (arg == "--seed") o.seed = std::stoull(value);
        else return usage(argv[0]);
    }
    if (positional.size() != 2) return usage(argv[0]);
    o.task = positional[0];
    o.file = positional[1];

    try {
        hrm_runtime_params rp;
        hrm_runtime_params_init(&rp, sizeof rp);
        rp.plugin_path = o.plugins.empty() ? nullptr : o.plugins.c_str();
        rp.n_threads = int32_t(o.threads);
        hrm::Runtime rt(&rp);
        rt.load_default();
        hrm::Instance task = rt.create(HRM_KIND_ENCODER, o.task);
        const hrm_encoder *enc = task.encoder();

        // The task cuts the file into instances: slices of `text`, which outlives them.
        const std::string text = read_file(o.file);
        const hrm_blob whole = hrm::blob_view(text);
        std::vector<hrm_blob> instances;
        for (size_t offset = 0;;) {
            hrm_blob record{};
            hrm::check(enc->split(enc, &whole, &offset, &record));
            if (!record.data) break;
            instances.push_back(record);
        }

        Counts c;
        const bool finished = o.model.empty() ? (solve_with_oracle(task, instances, c), true)
                                              : solve_with_session(rt, o, task, instances, c);
        std::cout.flush();
        std::cerr << instances.size() << " puzzles: " << c.verified << " verified, " << c.errors << " errors"
                  << (finished ? "" : " (interrupted)") << "\n";
        return finished ? 0 : 130;
    } catch (const hrm::Error &e) {
        std::cerr << "error: " << e.what() << " (" << hrm_code_name(e.code()) << ")\n";
    } catch (const std::exception &e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return 2;
}
