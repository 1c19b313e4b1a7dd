// hrm solve --model M --task T --policy P [FILE|-]: batch-solve puzzles through a session (the
// oneTBB scheduler), writing one JSON line per puzzle. Bad puzzles are reported on their line and
// the rest are solved; Ctrl-C stops at the next segment and keeps what finished. Under mpirun the
// chunks of puzzles are dealt out over the ranks and rank 0 writes every line in input order: the
// same lines as one process with the same --batch (times aside; docs/distributed.md).
// `-o FILE` is locked for the whole run: a second `hrm solve -o FILE` fails at once (issue #24: two
// runs both exited 0 and left interleaved, invalid JSON lines).
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <hrm/common/json.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "model_file.hpp"
#include "task.hpp"

using namespace hrm::runner;

namespace {

std::atomic<bool> g_interrupted{false};
void on_sigint(int) { g_interrupted = true; }

struct Progress {
    bool terminal = false;
    int64_t total = 0;
    int64_t base = 0;      // instances finished in earlier chunks
    int64_t solved = 0;    // verified so far (earlier chunks)
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

    void draw(int64_t done) const {
        if (!terminal) return;
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const int width = 30;
        const int filled = total ? int(width * done / total) : width;
        std::cerr << "\r[" << std::string(size_t(filled), '#') << std::string(size_t(width - filled), '.') << "] "
                  << done << "/" << total << "  " << std::fixed << std::setprecision(1) << (s > 0 ? done / s : 0.0)
                  << " puzzles/s  solved " << std::setprecision(1) << (base ? 100.0 * solved / base : 0.0) << "%   "
                  << std::flush;
    }
};

bool HRM_ABI on_progress(int64_t done, int64_t, void *user) {
    const auto *p = static_cast<const Progress *>(user);
    p->draw(p->base + done);
    return !g_interrupted;
}

std::string json_line(int64_t index, std::string_view input, const hrm_result &r) {
    using hrm::common::json::quote;
    std::ostringstream out;
    out << "{\"index\": " << index << ", \"input\": " << quote(input);
    if (r.error) {
        out << ", \"error\": " << quote(hrm_status_message(r.error)) << "}";
        return out.str();
    }
    out << ", \"solution\": " << quote(std::string_view(static_cast<const char *>(r.solution.data), r.solution.size))
        << ", \"segments\": " << r.segments << ", \"q\": [" << r.q_halt << ", " << r.q_continue << "]"
        << ", \"verified\": " << (r.verified == 1 ? "true" : r.verified == 0 ? "false" : "null")
        << ", \"time\": " << r.seconds << "}";
    return out.str();
}

using File = std::unique_ptr<std::FILE, decltype(&std::fclose)>;

// path opened for writing under an exclusive flock held until the file is closed. Opened without
// truncation and emptied only once the lock is held, so a run that finds the file locked leaves
// the other run's lines alone.
File open_locked_output(const std::string &path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int e = errno;
        ::close(fd);
        if (e == EWOULDBLOCK)
            throw std::runtime_error("'" + path + "' is being written by another process (hrm solve -o holds a lock on it); "
                                     "wait for it to finish or choose another output file");
        throw std::runtime_error("cannot lock '" + path + "': " + std::strerror(e));
    }
    std::FILE *f = ::ftruncate(fd, 0) == 0 ? ::fdopen(fd, "w") : nullptr;
    if (!f) {
        const int e = errno;
        ::close(fd);
        throw std::runtime_error("cannot write '" + path + "': " + std::strerror(e));
    }
    return File(f, std::fclose);
}

}  // namespace

int cmd_solve(int argc, char **argv) {
    CommonOptions common;
    std::string model_arg, task_name, policy_name = "q-halt", input = "-", out_path, precision;
    int64_t batch = 64, show = 0;
    int threads = 0;
    bool no_ema = false;
    po::options_description opts("hrm solve options");
    opts.add_options()
        ("model,m", po::value(&model_arg), "model .safetensors, step folder or run folder; default: the bundled model of the task")
        ("no-ema", po::bool_switch(&no_ema), "a training checkpoint's raw weights, not its EMA (the default when it has one)")
        ("task,t", po::value(&task_name)->required(), "task plugin name or id")
        ("policy,p", po::value(&policy_name), "refinement policy: fixed, q-halt, verify, stable, multi-start (default q-halt)")
        ("input", po::value(&input), "puzzles in the task's format, or - for standard input (default)")
        ("out,o", po::value(&out_path), "write JSON lines here instead of standard output")
        ("batch", po::value(&batch), "slots in flight (default 64)")
        ("threads", po::value(&threads), "worker threads (default: all cores)")
        ("precision", po::value(&precision), "fp32, bf16 or int8 (default: the model's; int8: quantised inference, docs/kernels.md)")
        ("show", po::value(&show)->implicit_value(3), "print pictures of the first N answers (verified or not; filled-in cells marked), default 3");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("input", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm solve --model M.safetensors --task NAME [--policy P] [FILE|-]", opts, pos, vm);
        rc >= 0)
        return rc;
    if (batch < 1 || (!precision.empty() && !parse_precision_name(precision))) {
        std::cerr << "hrm solve: --batch must be >= 1 and --precision fp32, bf16 or int8\n";
        return 2;
    }
    const Config config = load_config(common);
    // The output is claimed before the model loads, so a clash is reported at once.
    File file(nullptr, std::fclose);
    if (world().rank() == 0 && !out_path.empty()) file = open_locked_output(out_path);

    hrm::Runtime runtime = open_runtime(common, threads);
    const bool bundled = model_arg.empty();
    hrm::Instance encoder = open_encoder_for_model(runtime, task_name, config, model_arg);
    const Task task(encoder.encoder());
    ModelSource source;
    hrm::Instance model = open_model(runtime, model_arg, config, no_ema ? Weights::Raw : Weights::Default, &source);
    {
        // Name what runs, read from the model itself: a demo or a log must not call a TRM an HRM.
        hrm_model_spec spec{};
        spec.struct_size = sizeof spec;
        hrm::check(model.model()->get_spec(model.model(), &spec));
        if (world().rank() == 0)
            std::cerr << "model: " << (bundled ? "bundled " : "")
                      << describe_model(spec.config ? spec.config : "", spec.n_params) << ", " << source.describe() << "\n";
    }
    hrm::Instance policy = runtime.create(HRM_KIND_POLICY, policy_name, config.section_text("policy"));

    hrm_session_params params;
    hrm_session_params_init(&params, sizeof params);
    params.n_threads = threads;
    params.batch_size = batch;
    if (!precision.empty()) params.precision = *parse_precision_name(precision);
    hrm_session *raw = nullptr;
    hrm::check(hrm_session_create(model.get(), encoder.get(), policy.get(), &params, &raw));
    std::unique_ptr<hrm_session, decltype(&hrm_session_free)> session(raw, hrm_session_free);

    // Rank 0 reads the input (mpirun gives standard input to rank 0 only) and sends it to the others.
    hrm::train::Comm &comm = world();
    const bool root = comm.rank() == 0;
    std::string text = root ? read_input(input) : std::string();
    comm.broadcast(text, 0);
    const auto records = task.split(text);
    std::vector<hrm_blob> instances;
    for (auto r : records) instances.push_back(hrm_blob{r.data(), r.size()});

    if (root && records.empty())
        std::cerr << "hrm solve: no puzzles in " << (input == "-" ? std::string("standard input") : "'" + input + "'")
                  << " (empty)\n";
    const auto write_out = [&](const std::string &lines) {
        if (!file) std::cout << lines;
        else if (std::fwrite(lines.data(), 1, lines.size(), file.get()) != lines.size())
            throw std::runtime_error("cannot write '" + out_path + "': " + std::strerror(errno));
    };

    Progress progress;
    progress.terminal = comm.size() == 1 && isatty(STDERR_FILENO) == 1;   // mpirun's ranks write to ptys
    progress.total = int64_t(instances.size());
    std::signal(SIGINT, on_sigint);

    // Chunks of several batches keep the scheduler's slots full while letting the progress line
    // report the solved rate as results arrive. A puzzle's numbers depend on the puzzles that
    // share its batches (the kernels' blocking), so the chunks are the unit the ranks share:
    // chunk c runs on rank c % N exactly as it would in one process, and in round t the ranks solve
    // chunks tN .. tN+N-1, whose lines rank 0 then writes in order.
    const int64_t chunk = std::max<int64_t>(batch * 4, 256);
    const int64_t n_chunks = (progress.total + chunk - 1) / chunk;
    const int N = comm.size();
    int64_t failed = 0, segments = 0, shown = 0;
    bool cancelled = false;
    for (int64_t round = 0; round * N < n_chunks && !cancelled; ++round) {
        // This rank's chunk: its counts, its lines, and the pictures of its first `show` answers.
        hrm::train::BytesWriter mine;
        bool my_cancel = false;
        if (const int64_t c = round * N + comm.rank(); c < n_chunks) {
            const int64_t begin = c * chunk, n = std::min(chunk, progress.total - begin);
            std::vector<hrm_result> results(static_cast<size_t>(n));
            if (hrm_status *st = hrm_session_solve(session.get(), instances.data() + begin, n, results.data(),
                                                   sizeof(hrm_result), on_progress, &progress)) {
                if (hrm_status_code(st) != HRM_E_CANCELLED) hrm::check(st);   // throws
                hrm_status_free(st);
                my_cancel = true;
            }
            int64_t c_failed = 0, c_solved = 0, c_segments = 0;
            std::string lines;
            std::vector<std::string> pictures;
            for (int64_t i = 0; i < n; ++i) {
                hrm_result &r = results[size_t(i)];
                lines += json_line(begin + i, records[size_t(begin + i)], r) + "\n";
                if (r.error) ++c_failed;
                else {
                    c_solved += r.verified == 1;
                    c_segments += r.segments;
                    if (int64_t(pictures.size()) < show && task.can(HRM_ENCODER_CAN_RENDER))
                        pictures.push_back(
                            "puzzle " + std::to_string(begin + i + 1) + ": " +
                            (r.verified == 1 ? "verified" : r.verified == 0 ? "NOT verified" : "no verifier") +
                            " after " + std::to_string(r.segments) + " segment(s)\n" +
                            task.render(records[size_t(begin + i)],
                                        std::string_view(static_cast<const char *>(r.solution.data), r.solution.size),
                                        progress.terminal ? HRM_RENDER_ANSI : HRM_RENDER_TEXT) +
                            "\n");
                }
                hrm_result_clear(&r);
            }
            mine.put(n);
            mine.put(c_failed);
            mine.put(c_solved);
            mine.put(c_segments);
            mine.put_str(lines);
            mine.put(uint64_t(pictures.size()));
            for (const std::string &p : pictures) mine.put_str(p);
        }
        const std::vector<std::string> parts = comm.gather(mine.s, 0);
        cancelled = comm.any(my_cancel);   // every rank stops after the same round
        for (const std::string &part : parts) {   // rank order = chunk order; empty on the other ranks
            if (part.empty()) continue;
            hrm::train::BytesReader in{part};
            const auto n = in.get<int64_t>();
            failed += in.get<int64_t>();
            progress.solved += in.get<int64_t>();
            segments += in.get<int64_t>();
            write_out(in.get_str());
            for (auto k = in.get<uint64_t>(); k > 0; --k) {
                const std::string picture = in.get_str();
                if (shown < show) {
                    ++shown;
                    std::cerr << (progress.terminal ? "\r" : "") << picture;
                }
            }
            progress.base += n;
        }
        progress.draw(progress.base);
    }
    if (progress.terminal) std::cerr << "\n";

    std::cout.flush();
    if (file && std::fflush(file.get()) != 0) throw std::runtime_error("cannot write '" + out_path + "': " + std::strerror(errno));
    if (!root) return cancelled ? 130 : 0;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - progress.start).count();
    const int64_t ran = progress.base - failed;
    std::cerr << std::fixed << std::setprecision(1) << "solved " << progress.solved << "/" << progress.base << " ("
              << (progress.base ? 100.0 * progress.solved / progress.base : 0.0) << "%), " << failed
              << " error(s) (bad input or unreadable answer), mean segments " << std::setprecision(2) << (ran ? double(segments) / ran : 0.0) << ", "
              << std::setprecision(1) << (seconds > 0 ? progress.base / seconds : 0.0) << " puzzles/s, " << seconds
              << " s" << (cancelled ? " (cancelled)" : "") << "\n";
    return cancelled ? 130 : 0;
}
