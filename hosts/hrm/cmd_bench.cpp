// hrm bench model: inference throughput of model configs (fresh weights: speed does not depend on
// their values) at several batch sizes and precisions, with achieved GFLOP/s, the latency and peak
// memory of a single 16-segment puzzle, and, when PyTorch is installed, the same model in the
// PyTorch re-implementation (tests/parity/bench_torch.py) run from this command as the baseline.
// hrm bench train: training throughput of the same configs (one engine step: the segment with the
// one-step gradient, the bootstrap Q-target segment, the backward, AdamATan2) next to the same
// training step in that PyTorch re-implementation.
// hrm bench peak: this CPU's fp32 / bf16 / int8 compute peak (hrm/kernels/peak.hpp), which the
// other benchmarks measure in the same process and print their GFLOP/s against (% of peak).
// Every timing is a median over --repeats with its range; --json FILE writes one JSON object per
// line per measurement.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
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
#include <hrm/kernels/cpu.hpp>
#include <hrm/kernels/matmul.hpp>
#include <hrm/kernels/peak.hpp>
#include <hrm/train/engine.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "model_file.hpp"
#include "task.hpp"

using namespace hrm::runner;
using Clock = std::chrono::steady_clock;

namespace {

using hrm::kernels::PeakPrecision;
using hrm::kernels::Spread;

std::vector<std::string> split_list(const std::string &s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

// The CPU's model name ("AMD EPYC"), as lscpu prints it, for the records.
std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
            const auto v = line.substr(line.find(':') + 1);
            return v.substr(std::min(v.find_first_not_of(' '), v.size()));
        }
    return "unknown";
}

// One JSON object per line of --json FILE, keys in the order added; nothing when no file is given.
class JsonLines {
public:
    explicit JsonLines(const std::string &path) {
        if (path.empty()) return;
        file_.open(path);
        if (!file_) throw std::runtime_error("--json: cannot write " + path);
    }
    JsonLines &text(const std::string &key, const std::string &v) { return raw(key, hrm::common::json::quote(v)); }
    JsonLines &integer(const std::string &key, int64_t v) { return raw(key, std::to_string(v)); }
    // Non-finite numbers (and 0 for an unknown peak, when `zero_is_null`) are written as null.
    JsonLines &num(const std::string &key, double v, bool zero_is_null = false) {
        if (!std::isfinite(v) || (zero_is_null && v == 0)) return raw(key, "null");
        std::ostringstream o;
        o.precision(6);
        o << v;
        return raw(key, o.str());
    }
    JsonLines &spread(const std::string &key, const Spread &s) {
        return num(key, s.median).num(key + "_min", s.min).num(key + "_max", s.max);
    }
    // Ends the current object: one line, flushed (long benchmarks can be followed as they run).
    void end() {
        if (file_.is_open()) file_ << "{" << line_ << "}" << std::endl;
        line_.clear();
    }

private:
    JsonLines &raw(const std::string &key, const std::string &v) {
        line_ += (line_.empty() ? "" : ", ") + hrm::common::json::quote(key) + ": " + v;
        return *this;
    }
    std::ofstream file_;
    std::string line_;
};

// The peak that a benchmark's GFLOP/s are compared against: of the instructions the precision's
// matmuls run (bf16 without AVX512-BF16 runs fp32 matmuls, so its peak is fp32's; int8 without
// VNNI has no peak loop: 0), for the number of threads used. Measured on first use for each
// (precision, threads), in a fraction of a second, or --peak-gflops for every row.
class Peaks {
public:
    explicit Peaks(double given) : given_(given) {}
    double get(hrm_precision precision, int threads) {
        if (given_ > 0) return given_;
        const PeakPrecision p = loop_precision(precision);
        const auto key = std::make_pair(int(p), threads);
        if (!measured_.count(key)) measured_[key] = hrm::kernels::measure_peak(p, threads).median;
        return measured_[key];
    }
    // Measures the peaks of a --precisions list before any model work, which could leave worker
    // threads of ours spinning for a moment and make the peak look lower.
    void measure_first(const std::string &precisions, int threads) {
        for (const auto &p : split_list(precisions))
            if (const auto parsed = parse_precision_name(p)) get(*parsed, threads);
    }
    static PeakPrecision loop_precision(hrm_precision precision) {
        if (precision == HRM_PRECISION_INT8) return PeakPrecision::int8;
        if (precision == HRM_PRECISION_BF16 && hrm::kernels::cpu_target().bf16_dot) return PeakPrecision::bf16;
        return PeakPrecision::fp32;
    }

private:
    double given_;
    std::map<std::pair<int, int>, double> measured_;
};

// "  % of the bf16 peak of 2 threads: 880.1 GFLOP/s (AVX512-BF16 VDPBF16PS zmm)", under a table.
void print_peak(hrm_precision precision, int threads, double peak, bool given) {
    const PeakPrecision p = Peaks::loop_precision(precision);
    std::cout << "  % of the " << hrm::kernels::peak_precision_name(p) << " peak of " << threads << " thread(s): ";
    if (given) std::cout << std::setprecision(1) << peak << " GFLOP/s (--peak-gflops)\n";
    else if (peak > 0)
        std::cout << std::setprecision(1) << peak << " GFLOP/s (" << hrm::kernels::peak_instruction(p) << ")\n";
    else std::cout << "not measured (the CPU has no " << hrm::kernels::peak_precision_name(p) << " peak loop)\n";
}

// "  37.2%" of the peak, or "      -" when it is unknown.
std::string pct_text(double gflops, double peak) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(1);
    if (peak > 0) o << std::setw(6) << 100.0 * gflops / peak << "%";
    else o << std::setw(7) << "-";
    return o.str();
}

// "123.4 (120.1-125.0)": the median and range of the repeats.
std::string spread_text(const Spread &s, int precision = 1) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(precision) << s.median << " (" << s.min << "-" << s.max << ")";
    return o.str();
}

// The fields every benchmark record shares: what ran, where, and against which peak.
void record_common(JsonLines &json, const std::string &bench, const std::string &config, const std::string &precision,
                   int64_t batch, int threads, double gflops, double peak) {
    json.text("bench", bench).text("config", config).text("precision", precision).integer("batch", batch)
        .integer("threads", threads).num("gflops", gflops).num("peak_gflops", peak, true)
        .num("pct_peak", peak > 0 ? 100.0 * gflops / peak : 0, true).text("cpu", cpu_model())
        .text("cpu_target", hrm::kernels::cpu_target().name);
}

using TorchRates = std::map<std::pair<std::string, int64_t>, double>;   // (dtype, batch) -> rate

// The --torch columns of one row: PyTorch's fp32 and bf16 rates at this batch and our median's
// ratio to the better of the two (the baseline: PyTorch at its best), also in the record.
void torch_columns(const TorchRates &baseline, int64_t batch, double ours, JsonLines &json) {
    double best = 0;
    for (const char *dt : {"fp32", "bf16"}) {
        const auto it = baseline.find({dt, batch});
        if (it != baseline.end()) {
            best = std::max(best, it->second);
            std::cout << std::setw(12) << std::setprecision(1) << it->second;
            json.num(std::string("torch_") + dt + "_per_s", it->second);
        } else {
            std::cout << std::setw(12) << "-";
        }
    }
    if (best > 0) std::cout << std::setw(9) << "x" << std::setprecision(2) << ours / best;
    json.num("torch_best_per_s", best, true);
}

// Runs segments on a batch of random puzzles: one warm-up segment, then `repeats` timings, each
// of at least one segment and min_time / repeats seconds, at most max_segments / repeats segments.
// Returns the puzzle-segments per second of each timing.
std::vector<double> time_segments(const hrm_model *m, const hrm_model_spec &spec, int64_t batch, hrm_precision precision,
                                  double min_time, int repeats, int max_segments) {
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
    std::vector<double> rates;
    const int cap = std::max(1, max_segments / repeats);
    for (int r = 0; r < repeats; ++r) {
        int n = 0;
        const auto t0 = Clock::now();
        double elapsed = 0;
        while (n < cap && (n < 1 || elapsed < min_time / repeats)) {
            segment();
            ++n;
            elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        }
        rates.push_back(double(batch) * n / elapsed);
    }
    return rates;
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
TorchRates torch_baseline(const std::string &config, const std::string &batches, int threads) {
    TorchRates out;
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
    std::string batches = "1,16,64,256", precisions = "fp32,bf16", json_path;
    double min_time = 2.0, peak_gflops = 0;
    int threads = 0, repeats = 5;
    bool torch = false;
    po::options_description opts("hrm bench model options");
    opts.add_options()
        ("model-config", po::value(&model_configs)->composing(),
         "model config TOML (repeatable; default configs/models/hrm-sudoku.toml and hrm-small.toml)")
        ("batches", po::value(&batches), "batch sizes (default 1,16,64,256)")
        ("precisions", po::value(&precisions), "fp32,bf16,int8 (default fp32,bf16)")
        ("min-time", po::value(&min_time), "seconds per measurement, over all its repeats (default 2)")
        ("repeats", po::value(&repeats), "timings per measurement; the median is reported (default 5)")
        ("threads", po::value(&threads), "worker threads (default: all cores)")
        ("peak-gflops", po::value(&peak_gflops), "the peak to print % of (default: measured here, hrm bench peak)")
        ("json", po::value(&json_path), "also write one JSON object per line per measurement to this file")
        ("torch", po::bool_switch(&torch), "also run the PyTorch re-implementation as the baseline (needs python3-torch)");
    add_common_options(opts, common);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm bench model [--model-config C.toml] [--batches 1,16] [--torch]", opts, {}, vm);
        rc >= 0)
        return rc;
    if (model_configs.empty())
        model_configs = {HRM_SOURCE_DIR "/configs/models/hrm-sudoku.toml", HRM_SOURCE_DIR "/configs/models/hrm-small.toml"};
    const int n_threads = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
    repeats = std::max(repeats, 1);

    hrm::Runtime runtime = open_runtime(common, n_threads);
    JsonLines json(json_path);
    Peaks peaks(peak_gflops);
    peaks.measure_first(precisions, n_threads);
    std::cout << std::fixed;
    for (const auto &path : model_configs) {
        const Config cfg = Config::load({path}, common.sets);
        hrm::Instance instance = runtime.create(HRM_KIND_MODEL, cfg.get_string("model.arch", "hrm"), cfg.section_text("model"));
        const hrm_model *m = instance.model();
        hrm_model_spec spec{};
        spec.struct_size = sizeof spec;
        hrm::check(m->get_spec(m, &spec));
        const auto baseline = torch ? torch_baseline(path, batches, n_threads) : TorchRates{};

        std::cout << "\n" << path << ": " << spec.n_params << " parameters, " << std::setprecision(2)
                  << spec.flops_per_segment / 1e9 << " GFLOP per puzzle-segment, " << n_threads << " thread(s); median of "
                  << repeats << " timings (min-max)\n";
        std::cout << "precision  batch  puzzle-seg/s (min-max)     GFLOP/s  % peak"
                  << (torch ? "  torch fp32  torch bf16  x best torch" : "") << "\n";
        for (const auto &p : split_list(precisions)) {
            const auto parsed = parse_precision_name(p);
            if (!parsed) throw std::runtime_error("--precisions: \"" + p + "\" is not fp32, bf16 or int8");
            const hrm_precision prec = *parsed;
            const double peak = peaks.get(prec, n_threads);
            for (const auto &b : split_list(batches)) {
                const int64_t batch = std::stoll(b);
                const Spread r = hrm::kernels::spread_of(time_segments(m, spec, batch, prec, min_time, repeats, 200));
                const double gflops = r.median * spec.flops_per_segment / 1e9;
                std::cout << std::setw(9) << p << std::setw(7) << batch << "  " << std::left << std::setw(25)
                          << spread_text(r) << std::right << std::setw(8) << std::setprecision(1) << gflops
                          << pct_text(gflops, peak);
                record_common(json, "model", path, p, batch, n_threads, gflops, peak);
                json.spread("segments_per_s", r).integer("repeats", repeats);
                if (torch) torch_columns(baseline, batch, r.median, json);
                json.end();
                std::cout << std::endl;
            }
            std::cout << std::setprecision(3) << "  single puzzle, 16 segments (" << p
                      << "): " << std::min({single_solve_seconds(m, spec, prec), single_solve_seconds(m, spec, prec),
                                            single_solve_seconds(m, spec, prec)})
                      << " s (best of 3)\n";
            print_peak(prec, n_threads, peak, peak_gflops > 0);
        }
        std::cout << std::setprecision(0) << "  peak RSS so far: " << peak_rss_mb() << " MB\n";
    }
    return 0;
}

// PyTorch's training samples/s per (dtype, batch) from tests/parity/bench_torch.py (the same
// reference training step, AdamATan2 in fp32); empty when torch is not installed.
TorchRates torch_train_baseline(const std::string &config, const std::string &batches, int threads, double min_time,
                                int max_steps) {
    TorchRates out;
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

// Approximate FLOPs of one training sample (one engine step for one row): the forward of the
// segment, the forward of the bootstrap Q-target segment where the arch has one, and the backward
// of what is differentiated at twice its forward cost (input and weight gradients):
//   hrm: the one-step gradient, i.e. the last L and the last H call only; Q target when
//        halt_max_steps > 1;
//   trm: the last of the h_cycles recursions (its l_cycles + 1 network calls); Q target only with
//        a continue head (no_act_continue = false) and halt_max_steps > 1;
//   transformer: the whole segment; Q target when halt_max_steps > 1.
// 0 when the layer counts are unknown.
double train_flops_per_sample(const hrm_model_spec &spec, const Config &cfg) {
    const std::string arch = cfg.get_string("model.arch", "hrm");
    const bool adaptive = spec.halt_max_steps > 1;
    if (arch == "transformer") return spec.flops_per_segment * ((adaptive ? 2.0 : 1.0) + 2.0);
    if (arch == "trm") {
        const bool target = adaptive && !cfg.get_bool("model.no_act_continue", true);
        return spec.flops_per_segment * ((target ? 2.0 : 1.0) + 2.0 / double(std::max<int64_t>(spec.h_cycles, 1)));
    }
    const int64_t l_layers = cfg.get_int("model.l_layers", cfg.get_int("model.layers", 0));
    const int64_t h_layers = cfg.get_int("model.h_layers", cfg.get_int("model.layers", 0));
    const double calls = double(spec.h_cycles) * double(spec.l_cycles) * double(l_layers) + double(spec.h_cycles) * double(h_layers);
    if (calls <= 0) return 0;
    return spec.flops_per_segment * ((adaptive ? 2.0 : 1.0) + 2.0 * double(l_layers + h_layers) / calls);
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

// Engine steps on random data: one warm-up step, then `repeats` timings, each of at least one
// step and min_time / repeats seconds, at most max_steps / repeats steps. One shard per thread, a
// fresh optimizer state per measurement. Returns the samples per second of each timing.
std::vector<double> time_train_steps(hrm::train::ModelRef &model, const hrm::data::Split &data, int64_t batch,
                                     hrm_precision precision, int threads, double min_time, int repeats, int max_steps) {
    const int cap = std::max(1, max_steps / repeats);
    hrm::train::EngineConfig ec;
    ec.global_batch_size = batch;
    ec.steps = cap * repeats + 1;
    ec.precision = precision;
    ec.threads = threads;
    ec.shard_size = (batch + threads - 1) / threads;
    hrm::train::Engine engine(model, ec, &data, nullptr);
    engine.train_step();   // warm-up: primitive creation, weight packing, first touch of the states
    std::vector<double> rates;
    for (int r = 0; r < repeats; ++r) {
        int n = 0;
        const auto t0 = Clock::now();
        double elapsed = 0;
        while (n < cap && (n < 1 || elapsed < min_time / repeats)) {
            if (!engine.train_step()) break;
            ++n;
            elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        }
        if (n > 0) rates.push_back(double(batch) * n / elapsed);
    }
    return rates;
}

int bench_train(int argc, char **argv) {
    CommonOptions common;
    std::vector<std::string> model_configs;
    std::string batches = "64", precisions = "fp32,bf16", json_path;
    double min_time = 3.0, peak_gflops = 0;
    int threads = 0, max_steps = 20, repeats = 5;
    bool torch = false;
    po::options_description opts("hrm bench train options");
    opts.add_options()
        ("model-config", po::value(&model_configs)->composing(),
         "model config TOML (repeatable; default configs/models/hrm-small.toml and hrm-sudoku.toml)")
        ("batches", po::value(&batches), "global batch sizes (default 64)")
        ("precisions", po::value(&precisions), "fp32,bf16 (default both)")
        ("min-time", po::value(&min_time), "seconds per measurement, over all its repeats (default 3)")
        ("max-steps", po::value(&max_steps), "at most this many timed steps per measurement (default 20)")
        ("repeats", po::value(&repeats), "timings per measurement, at least one step each; the median is reported (default 5)")
        ("threads", po::value(&threads), "worker threads (default: all cores)")
        ("peak-gflops", po::value(&peak_gflops), "the peak to print % of (default: measured here, hrm bench peak)")
        ("json", po::value(&json_path), "also write one JSON object per line per measurement to this file")
        ("torch", po::bool_switch(&torch), "also run the PyTorch re-implementation as the baseline (needs python3-torch)");
    add_common_options(opts, common);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm bench train [--model-config C.toml] [--batches 16,64] [--torch]", opts, {}, vm);
        rc >= 0)
        return rc;
    if (model_configs.empty())
        model_configs = {HRM_SOURCE_DIR "/configs/models/hrm-small.toml", HRM_SOURCE_DIR "/configs/models/hrm-sudoku.toml"};
    const int n_threads = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
    repeats = std::max(repeats, 1);
    max_steps = std::max(max_steps, repeats);

    hrm::Runtime runtime = open_runtime(common, n_threads);
    JsonLines json(json_path);
    Peaks peaks(peak_gflops);
    peaks.measure_first(precisions, n_threads);
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
                                    : TorchRates{};

        std::cout << "\n" << path << ": " << spec.n_params << " parameters, " << std::setprecision(2) << flops / 1e9
                  << " GFLOP per training sample (segment, Q-target segment if any, backward), " << n_threads
                  << " thread(s); median of " << repeats << " timings (min-max)\n";
        std::cout << "precision  batch  samples/s (min-max)      GFLOP/s  % peak" << (torch ? "  torch fp32  torch bf16  x best torch" : "")
                  << "\n";
        for (const auto &p : split_list(precisions)) {
            const hrm_precision prec = p == "bf16" ? HRM_PRECISION_BF16 : HRM_PRECISION_FP32;
            const double peak = peaks.get(prec, n_threads);
            for (const auto &b : split_list(batches)) {
                const int64_t batch = std::stoll(b);
                const Spread r = hrm::kernels::spread_of(
                    time_train_steps(model, data, batch, prec, n_threads, min_time, repeats, max_steps));
                const double gflops = r.median * flops / 1e9;
                std::cout << std::setw(9) << p << std::setw(7) << batch << "  " << std::left << std::setw(22)
                          << spread_text(r) << std::right << std::setw(9) << std::setprecision(1) << gflops
                          << pct_text(gflops, peak);
                record_common(json, "train", path, p, batch, n_threads, gflops, peak);
                json.spread("samples_per_s", r).integer("repeats", repeats);
                if (torch) torch_columns(baseline, batch, r.median, json);
                json.end();
                std::cout << std::endl;   // a 27M row takes minutes: show each as it is measured
            }
            print_peak(prec, n_threads, peak, peak_gflops > 0);
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
    std::string model_arg, task_name = "sudoku", input, policies = "fixed,q-halt,verify", threads_list, precision_name,
                                                        json_path;
    int64_t batch = 64, limit = 256;
    int repeats = 3;
    double peak_gflops = 0;
    po::options_description opts("hrm bench solve options");
    opts.add_options()
        ("model,m", po::value(&model_arg), "checkpoint (.safetensors); default: the bundled model of the task")
        ("task,t", po::value(&task_name), "task (default sudoku)")
        ("input", po::value(&input)->required(), "puzzles in the task's format")
        ("limit", po::value(&limit), "use at most this many puzzles (default 256)")
        ("policies", po::value(&policies), "policies to compare (default fixed,q-halt,verify)")
        ("threads", po::value(&threads_list), "thread counts to compare (default 1,<all cores>)")
        ("batch", po::value(&batch), "slots in flight (default 64)")
        ("precision", po::value(&precision_name), "fp32, bf16 or int8 (default: the model's)")
        ("repeats", po::value(&repeats), "solves of all puzzles per row; the median is reported (default 3)")
        ("peak-gflops", po::value(&peak_gflops), "the peak to print % of (default: measured here, hrm bench peak)")
        ("json", po::value(&json_path), "also write one JSON object per line per measurement to this file");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("input", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm bench solve [--model M] --task T PUZZLES [--policies a,b]", opts, pos, vm);
        rc >= 0)
        return rc;
    if (!precision_name.empty() && !parse_precision_name(precision_name))
        throw std::runtime_error("--precision: \"" + precision_name + "\" is not fp32, bf16 or int8");
    repeats = std::max(repeats, 1);
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    if (threads_list.empty()) threads_list = cores > 1 ? "1," + std::to_string(cores) : "1";
    const Config config = load_config(common);

    hrm::Runtime runtime = open_runtime(common);
    hrm::Instance encoder = open_encoder_for_model(runtime, task_name, config, model_arg);
    const Task task(encoder.encoder());
    hrm::Instance model = open_model(runtime, model_arg, config);
    hrm_model_spec spec{};
    spec.struct_size = sizeof spec;
    hrm::check(model.model()->get_spec(model.model(), &spec));
    const hrm_precision precision = precision_name.empty() ? spec.default_precision : *parse_precision_name(precision_name);
    if (precision_name.empty())
        precision_name = precision == HRM_PRECISION_BF16 ? "bf16" : precision == HRM_PRECISION_INT8 ? "int8" : "fp32";
    const std::string text = read_input(input);
    std::vector<hrm_blob> instances;
    for (auto r : task.split(text)) {
        if (int64_t(instances.size()) >= limit) break;
        instances.push_back(hrm_blob{r.data(), r.size()});
    }
    JsonLines json(json_path);
    Peaks peaks(peak_gflops);
    for (const auto &t : split_list(threads_list)) peaks.get(precision, std::stoi(t));

    std::cout << std::fixed << instances.size() << " puzzles of " << input << ", batch " << batch << ", " << precision_name
              << ", median of " << repeats << " runs (min-max)\n"
              << "policy        threads  puzzles/s (min-max)     solved  mean segments  GFLOP/s  % peak\n";
    std::map<std::string, double> base;   // puzzles/s of each policy on 1 thread
    for (const auto &policy_name : split_list(policies)) {
        hrm::Instance policy = runtime.create(HRM_KIND_POLICY, policy_name, config.section_text("policy"));
        for (const auto &t : split_list(threads_list)) {
            hrm_session_params params;
            hrm_session_params_init(&params, sizeof params);
            params.n_threads = std::stoi(t);
            params.batch_size = batch;
            params.precision = precision;
            std::vector<double> rates;
            int64_t solved = 0, segments = 0;   // of the last run: every run solves the same puzzles
            for (int rep = 0; rep < repeats; ++rep) {
                hrm_session *raw = nullptr;
                hrm::check(hrm_session_create(model.get(), encoder.get(), policy.get(), &params, &raw));
                const std::unique_ptr<hrm_session, decltype(&hrm_session_free)> session(raw, hrm_session_free);
                std::vector<hrm_result> results(instances.size());
                const auto t0 = Clock::now();
                hrm::check(hrm_session_solve(session.get(), instances.data(), int64_t(instances.size()), results.data(),
                                             sizeof(hrm_result), nullptr, nullptr));
                rates.push_back(double(instances.size()) / std::chrono::duration<double>(Clock::now() - t0).count());
                solved = segments = 0;
                for (auto &r : results) {
                    solved += r.verified == 1;
                    segments += r.segments;
                    hrm_result_clear(&r);
                }
            }
            const Spread rate = hrm::kernels::spread_of(rates);
            const double n = double(instances.size()), mean_segments = double(segments) / n;
            const double gflops = rate.median * mean_segments * spec.flops_per_segment / 1e9;
            const double peak = peaks.get(precision, params.n_threads);
            if (t == "1") base[policy_name] = rate.median;
            std::cout << std::left << std::setw(14) << policy_name << std::right << std::setw(7) << t << "  " << std::left
                      << std::setw(22) << spread_text(rate, 2) << std::right << std::setw(8) << std::setprecision(1)
                      << 100.0 * double(solved) / n << "%" << std::setw(15) << std::setprecision(2) << mean_segments
                      << std::setw(9) << std::setprecision(1) << gflops << pct_text(gflops, peak);
            if (t != "1" && base.count(policy_name))
                std::cout << std::setprecision(2) << "   x" << rate.median / base[policy_name] << " vs 1 thread";
            std::cout << std::endl;
            record_common(json, "solve", model_arg.empty() ? "bundled:" + task_name : model_arg, precision_name, batch,
                          params.n_threads, gflops, peak);
            json.text("policy", policy_name).integer("puzzles", int64_t(instances.size())).spread("puzzles_per_s", rate)
                .integer("repeats", repeats).num("solved_pct", 100.0 * double(solved) / n).num("mean_segments", mean_segments);
            json.end();
        }
    }
    std::cout << std::setprecision(2) << "plain bf16 matmul throughput, " << cores << " threads vs 1: x"
              << matmul_thread_ratio(cores, 2.0) << "\n";
    return 0;
}

int bench_peak(int argc, char **argv) {
    CommonOptions common;
    std::string precisions = "fp32,bf16,int8", json_path;
    int threads = 0, repeats = 5;
    double seconds = 0.05;
    po::options_description opts("hrm bench peak options");
    opts.add_options()
        ("precisions", po::value(&precisions), "fp32,bf16,int8 (default all)")
        ("threads", po::value(&threads), "threads run in parallel, one per CPU (default: all CPUs)")
        ("repeats", po::value(&repeats), "timings per measurement; the median is reported (default 5)")
        ("seconds", po::value(&seconds), "seconds per timing (default 0.05)")
        ("json", po::value(&json_path), "also write one JSON object per line per measurement to this file");
    add_common_options(opts, common);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm bench peak [--threads N] [--json FILE]", opts, {}, vm); rc >= 0) return rc;
    const int n_threads = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
    JsonLines json(json_path);
    const std::string cpu = cpu_model();
    std::cout << "CPU: " << cpu << ", " << std::thread::hardware_concurrency() << " CPU(s); SIMD: "
              << hrm::kernels::cpu_target_summary() << "\n"
              << "median GFLOP/s (GOP/s for int8) of " << repeats << " timings (min-max)\n"
              << "precision  instruction                    1 thread"
              << (n_threads > 1 ? "              " + std::to_string(n_threads) + " threads" : "") << "\n";
    for (const auto &name : split_list(precisions)) {
        const auto parsed = parse_precision_name(name);
        if (!parsed) throw std::runtime_error("--precisions: \"" + name + "\" is not fp32, bf16 or int8");
        // Only the named loop: bf16 here is the native bf16 peak, not fp32's (Peaks's fallback).
        const PeakPrecision p = *parsed == HRM_PRECISION_INT8   ? PeakPrecision::int8
                                : *parsed == HRM_PRECISION_BF16 ? PeakPrecision::bf16
                                                                : PeakPrecision::fp32;
        const std::string instruction = hrm::kernels::peak_instruction(p);
        std::cout << std::left << std::setw(11) << name << std::setw(31)
                  << (instruction.empty() ? "not supported here (CPU or HRM_CPU_TARGET)" : instruction) << std::right;
        if (instruction.empty()) {
            std::cout << "\n";
            continue;
        }
        for (int t : n_threads == 1 ? std::vector<int>{1} : std::vector<int>{1, n_threads}) {
            const Spread r = hrm::kernels::measure_peak(p, t, repeats, seconds);
            std::cout << std::left << std::setw(22) << spread_text(r) << std::right;
            json.text("bench", "peak").text("precision", name).integer("threads", t).text("instruction", instruction)
                .spread("gflops", r).num("peak_gflops", r.median).integer("repeats", repeats).text("cpu", cpu)
                .text("cpu_target", hrm::kernels::cpu_target().name);
            json.end();
        }
        std::cout << std::endl;
    }
    return 0;
}

}  // namespace

int cmd_bench(int argc, char **argv) {
    const std::string usage = "usage: hrm bench peak|model|train|solve ... (hrm bench <what> --help)\n";
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    const std::string what = argv[1];
    if (what == "peak") return bench_peak(argc - 1, argv + 1);
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
