// hrm bench model: inference throughput of model configs (fresh weights: speed does not depend on
// their values) at several batch sizes and precisions, with achieved GFLOP/s, the latency and peak
// memory of a single 16-segment puzzle, and, when PyTorch is installed, the same model in the
// PyTorch re-implementation (tests/parity/bench_torch.py) run from this command as the baseline.
// hrm bench train: training throughput of the same configs (one engine step: the segment with the
// one-step gradient, the bootstrap Q-target segment, the backward, AdamATan2) next to the same
// training step in that PyTorch re-implementation.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <functional>
#include <sstream>

#include <sys/resource.h>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <hrm/common/json.hpp>
#include <hrm/kernels/bf16.hpp>
#include <hrm/kernels/matmul.hpp>
#include <hrm/train/engine.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "model_file.hpp"
#include "task.hpp"

using namespace hrm::runner;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> split_list(const std::string &s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

struct Measure {
    double segments_per_s = 0;   // puzzle-segments per second
    double seconds = 0;
};

// Runs segments on a batch of random puzzles until min_time has passed (after one warm-up
// segment), at least 2 and at most max_segments timed segments.
Measure time_segments(const hrm_model *m, const hrm_model_spec &spec, int64_t batch, hrm_precision precision,
                      double min_time, int max_segments) {
    hrm_state *raw = nullptr;
    hrm::check(m->state_create(m, batch, precision, &raw));
    const std::unique_ptr<hrm_state, std::function<void(hrm_state *)>> st(raw, [m](hrm_state *s) { m->state_free(m, s); });
    std::mt19937 rng(1);
    std::vector<int32_t> tokens(size_t(batch * spec.seq_len));
    for (auto &t : tokens) t = int32_t(1 + rng() % uint32_t(std::max<int64_t>(spec.vocab_size - 1, 1)));
    hrm::Tensor tv = hrm::Tensor::of(tokens, {batch, spec.seq_len});
    std::vector<float> q(size_t(batch * 2));
    hrm::Tensor qv = hrm::Tensor::of(q, {batch, 2});
    std::vector<int32_t> preds(size_t(batch * spec.seq_len));
    hrm::Tensor pv = hrm::Tensor::of(preds, {batch, spec.seq_len});
    hrm::check(m->reset(m, st.get(), nullptr, nullptr));
    hrm::check(m->set_inputs(m, st.get(), nullptr, tv.get(), nullptr));
    auto segment = [&] {
        hrm::check(hrm_model_run_segment(m, st.get(), spec.h_cycles, spec.l_cycles));
        hrm::check(m->readout(m, st.get(), nullptr, pv.get(), qv.get()));
    };
    segment();   // warm-up: primitive creation, weight packing, page faults
    int n = 0;
    const auto t0 = Clock::now();
    double elapsed = 0;
    while (n < max_segments && (n < 2 || elapsed < min_time)) {
        segment();
        ++n;
        elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    return Measure{double(batch) * n / elapsed, elapsed};
}

// Single puzzle, 16 segments from a fresh state: what one interactive solve costs.
double single_solve_seconds(const hrm_model *m, const hrm_model_spec &spec, hrm_precision precision) {
    const auto t0 = Clock::now();
    hrm_state *raw = nullptr;
    hrm::check(m->state_create(m, 1, precision, &raw));
    const std::unique_ptr<hrm_state, std::function<void(hrm_state *)>> st(raw, [m](hrm_state *s) { m->state_free(m, s); });
    std::vector<int32_t> tokens(size_t(spec.seq_len), 1);
    hrm::Tensor tv = hrm::Tensor::of(tokens, {1, spec.seq_len});
    std::vector<int32_t> preds(size_t(spec.seq_len));
    hrm::Tensor pv = hrm::Tensor::of(preds, {1, spec.seq_len});
    hrm::check(m->reset(m, st.get(), nullptr, nullptr));
    hrm::check(m->set_inputs(m, st.get(), nullptr, tv.get(), nullptr));
    for (int s = 0; s < 16; ++s) hrm::check(hrm_model_run_segment(m, st.get(), spec.h_cycles, spec.l_cycles));
    hrm::check(m->readout(m, st.get(), nullptr, pv.get(), nullptr));
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;
}

// PyTorch's puzzle-segments/s per (dtype, batch), from tests/parity/bench_torch.py; empty when
// torch is not installed.
std::map<std::pair<std::string, int64_t>, double> torch_baseline(const std::string &config, const std::string &batches,
                                                                 int threads) {
    std::map<std::pair<std::string, int64_t>, double> out;
    const std::string cmd = "OPENBLAS_CORETYPE=Cooperlake /usr/bin/python3 " HRM_SOURCE_DIR "/tests/parity/bench_torch.py"
                            " --config " + config + " --threads " + std::to_string(threads) + " --batches " + batches +
                            " --dtypes fp32,bf16_native --train-batches '' --min-time 2 2>/dev/null";
    FILE *pipe = popen(cmd.c_str(), "r");
    if (!pipe) return out;
    std::array<char, 4096> line{};
    while (fgets(line.data(), int(line.size()), pipe)) {
        try {
            const auto v = hrm::common::json::parse(line.data());
            const auto *bench = v.find("bench"), *dtype = v.find("dtype"), *batch = v.find("batch"),
                       *rate = v.find("puzzle_segments_per_s");
            if (bench && bench->string == "torch_infer" && dtype && batch && rate)
                out[{dtype->string == "fp32" ? "fp32" : "bf16", batch->integer}] = rate->number;
        } catch (const std::exception &) {
            // not a JSON line (warnings): skip
        }
    }
    pclose(pipe);
    return out;
}

int bench_model(int argc, char **argv) {
    CommonOptions common;
    std::vector<std::string> model_configs;
    std::string batches = "1,16,64,256", precisions = "fp32,bf16";
    double min_time = 2.0;
    int threads = 0;
    bool torch = false;
    po::options_description opts("hrm bench model options");
    opts.add_options()
        ("model-config", po::value(&model_configs)->composing(),
         "model config TOML (repeatable; default configs/models/hrm-sudoku.toml and hrm-small.toml)")
        ("batches", po::value(&batches), "batch sizes (default 1,16,64,256)")
        ("precisions", po::value(&precisions), "fp32,bf16,int8 (default fp32,bf16)")
        ("min-time", po::value(&min_time), "seconds per measurement (default 2)")
        ("threads", po::value(&threads), "worker threads (default: all cores)")
        ("torch", po::bool_switch(&torch), "also run the PyTorch re-implementation as the baseline (needs python3-torch)");
    add_common_options(opts, common);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm bench model [--model-config C.toml] [--batches 1,16] [--torch]", opts, {}, vm);
        rc >= 0)
        return rc;
    if (model_configs.empty())
        model_configs = {HRM_SOURCE_DIR "/configs/models/hrm-sudoku.toml", HRM_SOURCE_DIR "/configs/models/hrm-small.toml"};
    const int n_threads = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));

    hrm::Runtime runtime = open_runtime(common, n_threads);
    std::cout << std::fixed;
    for (const auto &path : model_configs) {
        const Config cfg = Config::load({path}, common.sets);
        hrm::Instance instance = runtime.create(HRM_KIND_MODEL, cfg.get_string("model.arch", "hrm"), cfg.section_text("model"));
        const hrm_model *m = instance.model();
        hrm_model_spec spec{};
        spec.struct_size = sizeof spec;
        hrm::check(m->get_spec(m, &spec));
        const auto baseline = torch ? torch_baseline(path, batches, n_threads) : decltype(torch_baseline("", "", 0)){};

        std::cout << "\n" << path << ": " << spec.n_params << " parameters, " << std::setprecision(2)
                  << spec.flops_per_segment / 1e9 << " GFLOP per puzzle-segment, " << n_threads << " thread(s)\n";
        std::cout << "precision  batch  puzzle-seg/s    GFLOP/s" << (torch ? "   torch seg/s   ratio" : "") << "\n";
        for (const auto &p : split_list(precisions)) {
            const auto parsed = parse_precision_name(p);
            if (!parsed) throw std::runtime_error("--precisions: \"" + p + "\" is not fp32, bf16 or int8");
            const hrm_precision prec = *parsed;
            for (const auto &b : split_list(batches)) {
                const int64_t batch = std::stoll(b);
                const Measure r = time_segments(m, spec, batch, prec, min_time, 200);
                std::cout << std::setw(9) << p << std::setw(7) << batch << std::setw(14) << std::setprecision(1)
                          << r.segments_per_s << std::setw(11) << r.segments_per_s * spec.flops_per_segment / 1e9;
                if (torch) {
                    const auto it = baseline.find({p, batch});
                    if (it != baseline.end())
                        std::cout << std::setw(14) << it->second << std::setw(7) << std::setprecision(2) << "x"
                                  << r.segments_per_s / it->second;
                    else std::cout << std::setw(14) << "-";
                }
                std::cout << "\n";
            }
            std::cout << std::setprecision(3) << "  single puzzle, 16 segments (" << p
                      << "): " << std::min({single_solve_seconds(m, spec, prec), single_solve_seconds(m, spec, prec),
                                            single_solve_seconds(m, spec, prec)})
                      << " s (best of 3)\n";
        }
        std::cout << std::setprecision(0) << "  peak RSS so far: " << peak_rss_mb() << " MB\n";
    }
    return 0;
}

// PyTorch's training samples/s per (dtype, batch) from tests/parity/bench_torch.py (the same
// reference training step, AdamATan2 in fp32); empty when torch is not installed.
std::map<std::pair<std::string, int64_t>, double> torch_train_baseline(const std::string &config, const std::string &batches,
                                                                       int threads, double min_time, int max_steps) {
    std::map<std::pair<std::string, int64_t>, double> out;
    const std::string cmd = "OPENBLAS_CORETYPE=Cooperlake /usr/bin/python3 " HRM_SOURCE_DIR "/tests/parity/bench_torch.py"
                            " --config " + config + " --threads " + std::to_string(threads) + " --dtypes '' --batches ''"
                            " --train-batches " + batches + " --train-dtypes fp32,bf16_native --min-time " +
                            std::to_string(min_time) + " --max-iters " + std::to_string(max_steps) + " 2>/dev/null";
    FILE *pipe = popen(cmd.c_str(), "r");
    if (!pipe) return out;
    std::array<char, 4096> line{};
    while (fgets(line.data(), int(line.size()), pipe)) {
        try {
            const auto v = hrm::common::json::parse(line.data());
            const auto *bench = v.find("bench"), *dtype = v.find("dtype"), *batch = v.find("batch"),
                       *rate = v.find("samples_per_s");
            if (bench && bench->string == "torch_train" && dtype && batch && rate)
                out[{dtype->string == "fp32" ? "fp32" : "bf16", batch->integer}] = rate->number;
        } catch (const std::exception &) {
            // not a JSON line (warnings): skip
        }
    }
    pclose(pipe);
    return out;
}

// Approximate FLOPs of one training sample of an HRM (one engine step for one row): the segment
// forward, the bootstrap target forward (when halt_max_steps > 1), and the backward of the
// one-step gradient, i.e. of the last L and the last H call only, at twice their forward cost
// (input and weight gradients). 0 when the layer counts are unknown.
double train_flops_per_sample(const hrm_model_spec &spec, const Config &cfg) {
    const int64_t l_layers = cfg.get_int("model.l_layers", cfg.get_int("model.layers", 0));
    const int64_t h_layers = cfg.get_int("model.h_layers", cfg.get_int("model.layers", 0));
    const double calls = double(spec.h_cycles) * double(spec.l_cycles) * double(l_layers) + double(spec.h_cycles) * double(h_layers);
    if (calls <= 0) return 0;
    const double forwards = spec.halt_max_steps > 1 ? 2.0 : 1.0;
    return spec.flops_per_segment * (forwards + 2.0 * double(l_layers + h_layers) / calls);
}

// Random puzzles (one per group) in the reference layout: speed does not depend on the values.
hrm::data::Split random_split(const hrm_model_spec &spec, int64_t n) {
    hrm::data::Metadata meta;
    meta.vocab_size = spec.vocab_size;
    meta.seq_len = spec.seq_len;
    meta.num_puzzle_identifiers = spec.num_puzzle_identifiers;
    hrm::data::SplitBuilder builder(meta);
    std::mt19937 rng(1);
    const auto token = [&] { return int32_t(1 + rng() % uint32_t(std::max<int64_t>(spec.vocab_size - 1, 1))); };
    std::vector<int32_t> inputs(size_t(spec.seq_len)), labels(size_t(spec.seq_len));
    for (int64_t i = 0; i < n; ++i) {
        for (auto &t : inputs) t = token();
        for (auto &t : labels) t = token();
        builder.begin_group();
        builder.add_puzzle(0, inputs, labels);
    }
    return builder.finish();
}

struct TrainMeasure {
    double samples_per_s = 0, seconds_per_step = 0;
    int steps = 0;
};

// Engine steps on random data until min_time has passed (after one warm-up step), at least 2 and
// at most max_steps timed steps. One shard per thread, a fresh optimizer state per measurement.
TrainMeasure time_train_steps(hrm::train::ModelRef &model, const hrm::data::Split &data, int64_t batch,
                              hrm_precision precision, int threads, double min_time, int max_steps) {
    hrm::train::EngineConfig ec;
    ec.global_batch_size = batch;
    ec.steps = max_steps + 1;
    ec.precision = precision;
    ec.threads = threads;
    ec.shard_size = (batch + threads - 1) / threads;
    hrm::train::Engine engine(model, ec, &data, nullptr);
    engine.train_step();   // warm-up: primitive creation, weight packing, first touch of the states
    int n = 0;
    const auto t0 = Clock::now();
    double elapsed = 0;
    while (n < max_steps && (n < 2 || elapsed < min_time)) {
        if (!engine.train_step()) break;
        ++n;
        elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    return TrainMeasure{double(batch) * n / elapsed, elapsed / n, n};
}

int bench_train(int argc, char **argv) {
    CommonOptions common;
    std::vector<std::string> model_configs;
    std::string batches = "64", precisions = "fp32,bf16";
    double min_time = 3.0;
    int threads = 0, max_steps = 20;
    bool torch = false;
    po::options_description opts("hrm bench train options");
    opts.add_options()
        ("model-config", po::value(&model_configs)->composing(),
         "model config TOML (repeatable; default configs/models/hrm-small.toml and hrm-sudoku.toml)")
        ("batches", po::value(&batches), "global batch sizes (default 64)")
        ("precisions", po::value(&precisions), "fp32,bf16 (default both)")
        ("min-time", po::value(&min_time), "seconds per measurement (default 3; at least 2 steps)")
        ("max-steps", po::value(&max_steps), "at most this many timed steps per measurement (default 20)")
        ("threads", po::value(&threads), "worker threads (default: all cores)")
        ("torch", po::bool_switch(&torch), "also run the PyTorch re-implementation as the baseline (needs python3-torch)");
    add_common_options(opts, common);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm bench train [--model-config C.toml] [--batches 16,64] [--torch]", opts, {}, vm);
        rc >= 0)
        return rc;
    if (model_configs.empty())
        model_configs = {HRM_SOURCE_DIR "/configs/models/hrm-small.toml", HRM_SOURCE_DIR "/configs/models/hrm-sudoku.toml"};
    const int n_threads = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
    max_steps = std::max(max_steps, 2);

    hrm::Runtime runtime = open_runtime(common, n_threads);
    std::cout << std::fixed;
    for (const auto &path : model_configs) {
        const Config cfg = Config::load({path}, common.sets);
        hrm::Instance instance = runtime.create(HRM_KIND_MODEL, cfg.get_string("model.arch", "hrm"), cfg.section_text("model"));
        hrm::train::ModelRef model(instance.model(), {hrm_status_code, hrm_status_message, hrm_status_free});
        const hrm_model_spec &spec = model.spec();
        const double flops = train_flops_per_sample(spec, cfg);
        // Enough rows that the largest batch never exhausts a sampler iteration mid-measurement.
        int64_t max_batch = 1;
        for (const auto &b : split_list(batches)) max_batch = std::max<int64_t>(max_batch, std::stoll(b));
        const hrm::data::Split data = random_split(spec, 4 * max_batch);
        const auto baseline = torch ? torch_train_baseline(path, batches, n_threads, min_time, max_steps)
                                    : decltype(torch_train_baseline("", "", 0, 0, 0)){};

        std::cout << "\n" << path << ": " << spec.n_params << " parameters, " << std::setprecision(2) << flops / 1e9
                  << " GFLOP per training sample (segment + Q-target segment + one-step backward), " << n_threads
                  << " thread(s)\n";
        std::cout << "precision  batch  samples/s   s/step  GFLOP/s" << (torch ? "  torch fp32  torch bf16  x best torch" : "")
                  << "\n";
        for (const auto &p : split_list(precisions)) {
            const hrm_precision prec = p == "bf16" ? HRM_PRECISION_BF16 : HRM_PRECISION_FP32;
            for (const auto &b : split_list(batches)) {
                const int64_t batch = std::stoll(b);
                const TrainMeasure r = time_train_steps(model, data, batch, prec, n_threads, min_time, max_steps);
                std::cout << std::setw(9) << p << std::setw(7) << batch << std::setw(11) << std::setprecision(1)
                          << r.samples_per_s << std::setw(9) << std::setprecision(2) << r.seconds_per_step << std::setw(9)
                          << std::setprecision(1) << r.samples_per_s * flops / 1e9;
                if (torch) {
                    // PyTorch's best dtype at this batch is the baseline.
                    double best = 0;
                    for (const char *dt : {"fp32", "bf16"}) {
                        const auto it = baseline.find({dt, batch});
                        if (it != baseline.end()) {
                            best = std::max(best, it->second);
                            std::cout << std::setw(12) << std::setprecision(1) << it->second;
                        } else {
                            std::cout << std::setw(12) << "-";
                        }
                    }
                    if (best > 0) std::cout << std::setw(9) << "x" << std::setprecision(2) << r.samples_per_s / best;
                }
                std::cout << std::endl;   // a 27M row takes minutes: show each as it is measured
            }
        }
        std::cout << std::setprecision(0) << "  peak RSS so far: " << peak_rss_mb() << " MB\n";
    }
    return 0;
}

// Throughput of independent bf16 matmuls (HRM's qkv shape at batch 64) on 1 thread and on n
// threads, each thread its own products: the scaling ceiling of this machine for work like the
// scheduler's shards. On 2 vCPUs sharing one core it is well below 2.
double matmul_thread_ratio(int n_threads, double min_time) {
    const int64_t m = 64 * 82, n = 1536, k = 512;
    std::vector<float> w(size_t(n * k), 0.01f);
    const hrm::kernels::PackedWeight packed(w.data(), n, k);
    auto rate = [&](int threads) {
        std::atomic<int64_t> done{0};
        const auto t0 = Clock::now();
        tbb::task_arena arena(threads);
        arena.execute([&] {
            tbb::parallel_for(0, threads, [&](int) {
                std::vector<hrm::kernels::bf16> x(size_t(m * k), hrm::kernels::to_bf16(0.5f));
                std::vector<float> y(size_t(m * n));
                while (std::chrono::duration<double>(Clock::now() - t0).count() < min_time) {
                    hrm::kernels::linear(x.data(), packed, y.data(), m);
                    ++done;
                }
            });
        });
        return double(done) / std::chrono::duration<double>(Clock::now() - t0).count();
    };
    const double one = rate(1);
    return rate(n_threads) / one;
}

int bench_solve(int argc, char **argv) {
    CommonOptions common;
    std::string model_arg, task_name = "sudoku", input, policies = "fixed,q-halt,verify", threads_list;
    int64_t batch = 64, limit = 256;
    po::options_description opts("hrm bench solve options");
    opts.add_options()
        ("model,m", po::value(&model_arg), "checkpoint (.safetensors); default: the bundled model of the task")
        ("task,t", po::value(&task_name), "task (default sudoku)")
        ("input", po::value(&input)->required(), "puzzles in the task's format")
        ("limit", po::value(&limit), "use at most this many puzzles (default 256)")
        ("policies", po::value(&policies), "policies to compare (default fixed,q-halt,verify)")
        ("threads", po::value(&threads_list), "thread counts to compare (default 1,<all cores>)")
        ("batch", po::value(&batch), "slots in flight (default 64)");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("input", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm bench solve [--model M] --task T PUZZLES [--policies a,b]", opts, pos, vm);
        rc >= 0)
        return rc;
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    if (threads_list.empty()) threads_list = cores > 1 ? "1," + std::to_string(cores) : "1";
    const Config config = load_config(common);

    hrm::Runtime runtime = open_runtime(common);
    hrm::Instance encoder = open_encoder_for_model(runtime, task_name, config, model_arg);
    const Task task(encoder.encoder());
    hrm::Instance model = open_model(runtime, model_arg, config);
    const std::string text = read_input(input);
    std::vector<hrm_blob> instances;
    for (auto r : task.split(text)) {
        if (int64_t(instances.size()) >= limit) break;
        instances.push_back(hrm_blob{r.data(), r.size()});
    }

    std::cout << std::fixed << instances.size() << " puzzles of " << input << ", batch " << batch << "\n"
              << "policy        threads  puzzles/s  solved   mean segments\n";
    std::map<std::string, double> base;   // puzzles/s of each policy on 1 thread
    for (const auto &policy_name : split_list(policies)) {
        hrm::Instance policy = runtime.create(HRM_KIND_POLICY, policy_name, config.section_text("policy"));
        for (const auto &t : split_list(threads_list)) {
            hrm_session_params params;
            hrm_session_params_init(&params, sizeof params);
            params.n_threads = std::stoi(t);
            params.batch_size = batch;
            hrm_session *raw = nullptr;
            hrm::check(hrm_session_create(model.get(), encoder.get(), policy.get(), &params, &raw));
            const std::unique_ptr<hrm_session, decltype(&hrm_session_free)> session(raw, hrm_session_free);
            std::vector<hrm_result> results(instances.size());
            const auto t0 = Clock::now();
            hrm::check(hrm_session_solve(session.get(), instances.data(), int64_t(instances.size()), results.data(),
                                         sizeof(hrm_result), nullptr, nullptr));
            const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
            int64_t solved = 0, segments = 0;
            for (auto &r : results) {
                solved += r.verified == 1;
                segments += r.segments;
                hrm_result_clear(&r);
            }
            const double rate = double(instances.size()) / seconds;
            if (t == "1") base[policy_name] = rate;
            std::cout << std::left << std::setw(14) << policy_name << std::right << std::setw(7) << t << std::setw(11)
                      << std::setprecision(2) << rate << std::setw(8) << std::setprecision(1)
                      << 100.0 * double(solved) / double(instances.size()) << "%" << std::setw(15)
                      << std::setprecision(2) << double(segments) / double(instances.size());
            if (t != "1" && base.count(policy_name)) std::cout << "   x" << rate / base[policy_name] << " vs 1 thread";
            std::cout << "\n";
        }
    }
    std::cout << std::setprecision(2) << "plain bf16 matmul throughput, " << cores << " threads vs 1: x"
              << matmul_thread_ratio(cores, 2.0) << "\n";
    return 0;
}

}  // namespace

int cmd_bench(int argc, char **argv) {
    const std::string usage = "usage: hrm bench model|train|solve ... (hrm bench <what> --help)\n";
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    const std::string what = argv[1];
    if (what == "model") return bench_model(argc - 1, argv + 1);
    if (what == "train") return bench_train(argc - 1, argv + 1);
    if (what == "solve") return bench_solve(argc - 1, argv + 1);
    if (what == "--help" || what == "-h") {
        std::cout << usage;
        return 0;
    }
    std::cerr << "hrm bench: unknown benchmark '" << what << "'\n" << usage;
    return 2;
}
