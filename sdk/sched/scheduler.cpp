// The engine of hrm_session_solve. One solve:
//
//   encode every instance (parallel); the queue is the rows (instance, start) in instance order
//   repeat until no row is left:
//     refill      idle slots take the next rows                                  serial, slot order
//     step_shard  load new rows (reset + set_inputs), h_cycles x (l_cycles x L, H), readout;
//                 decode + verify every row if the policy needs it              parallel over shards
//                 (for an encoder with an output mask, predictions are the argmax of the logits
//                 over each instance's valid tokens, so every answer decodes)
//     decide      the policy judges rows with min <= segment < max; max halts    serial, slot order
//     finish      halted rows: predictions, decode, verify                      parallel over shards
//     emit        halted rows go to their result (or multi-start candidates)     serial, slot order
//     progress    callback(done, total); false cancels
//
// Parallel passes only touch their own shard's rows, serial passes go in slot order, and a row's
// computation never reads another row, so results do not depend on threads, shard size, batch size
// or the order instances arrive in.
#include "scheduler.hpp"

#include "argmax.hpp"

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <unordered_map>

namespace hrm::sched {
namespace {

// A failed plugin call, carried out of the segment loop to solve(), which owns the status then.
struct Failure {
    hrm_status *status;
};

hrm_tensor view(void *data, hrm_dtype dtype, const int64_t *shape, int32_t ndim) {
    hrm_tensor t{};
    t.data = data;
    t.dtype = dtype;
    t.ndim = ndim;
    t.shape = shape;
    t.strides = nullptr;
    t.device = HRM_DEVICE_CPU;
    return t;
}

uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

}  // namespace

uint64_t row_seed(uint64_t session_seed, std::string_view instance, int32_t start) {
    uint64_t h = 0xCBF29CE484222325ull;   // FNV-1a of the instance bytes
    for (unsigned char c : instance) h = (h ^ c) * 0x100000001B3ull;
    return splitmix64(splitmix64(session_seed ^ h) + static_cast<uint64_t>(start));
}

uint64_t prediction_hash(const int32_t *tokens, int64_t n) {
    uint64_t h = 0xCBF29CE484222325ull;
    const auto *bytes = reinterpret_cast<const unsigned char *>(tokens);
    for (int64_t i = 0; i < n * static_cast<int64_t>(sizeof(int32_t)); ++i) h = (h ^ bytes[i]) * 0x100000001B3ull;
    return h ? h : 1;
}

// One model state of `rows` consecutive slots starting at `first`, with its I/O buffers. Only
// the task stepping this shard touches it during a parallel pass.
struct Scheduler::Shard {
    hrm_state *state = nullptr;
    int64_t first = 0;
    int64_t rows = 0;
    int64_t shape_rows[1] = {0};      // [rows]
    int64_t shape_tokens[2] = {0, 0}; // [rows, S]
    int64_t shape_q[2] = {0, 2};      // [rows, 2]
    int64_t shape_logits[3] = {0, 0, 0};  // [rows, S, V]
    std::vector<int32_t> tokens;       // inputs of the rows being started
    std::vector<int32_t> puzzle_ids;
    std::vector<uint8_t> fill_mask;    // rows starting this segment
    std::vector<uint8_t> plain_mask;   // ... from the reference init
    std::vector<uint8_t> noise_mask;   // ... from a perturbed init (multi-start starts > 0)
    std::vector<uint64_t> seeds;
    std::vector<float> q;
    std::vector<int32_t> predictions;
    std::vector<float> logits;  // read out for the masked argmax (encoders with an output mask)
    bool busy = false;          // holds an active row: stepped this segment
    bool any_plain = false, any_noise = false;
    bool any_halt = false;
    bool has_predictions = false;   // predictions were read out this segment
    hrm_status *error = nullptr;    // the first failure of a parallel pass
};

// One slot: the row (instance, start) running in it and what the last segment produced.
struct Scheduler::Slot {
    int64_t instance = -1;   // -1 = idle
    int32_t start = 0;
    int32_t segment = 0;     // segments completed
    Clock::time_point t0;
    float q_halt = 0, q_continue = 0;
    uint64_t hash = 0;
    int32_t verified = -1;
    bool decoded = false;    // solution / decode_error hold this segment's decode
    hrm_blob solution{};
    hrm_status *decode_error = nullptr;
    bool halt = false;
};

namespace {
// A finished start of a multi-start instance, waiting for its siblings.
struct Candidate {
    hrm_policy_row row{};
    hrm_blob solution{};
    hrm_status *error = nullptr;
    double seconds = 0;
};
}  // namespace

// Everything of one solve call.
struct Scheduler::Run {
    const hrm_blob *instances = nullptr;
    int64_t n = 0;
    hrm_result *results = nullptr;
    std::vector<int32_t> tokens;         // [n, S] encoded inputs
    std::vector<int32_t> puzzle_ids;     // [n]
    std::vector<uint8_t> masks;          // [n, S, V] valid output tokens, when the encoder has a mask
    std::vector<uint8_t> finished;       // results[i] is final
    std::vector<int32_t> starts_done;    // finished starts per instance (multi-start)
    std::unordered_map<int64_t, std::vector<Candidate>> candidates;
    int64_t next_instance = 0;           // the queue: (next_instance, next_start) is the next row
    int32_t next_start = 0;
    int64_t done = 0;                    // finished results
    int64_t active = 0;                  // busy slots
};

Scheduler::Scheduler(const hrm_model *model, const hrm_encoder *encoder, const hrm_policy *policy,
                     const Services &services)
    : model_(model), encoder_(encoder), policy_(policy), services_(services) {}

Scheduler::~Scheduler() { free_all(); }

void Scheduler::free_all() noexcept {
    for (Shard &s : shards_) {
        if (s.state) model_->state_free(model_, s.state);
        s.state = nullptr;
    }
    if (policy_state_) policy_->state_free(policy_, policy_state_);
    policy_state_ = nullptr;
}

hrm_status *Scheduler::status(hrm_code code, const std::string &message) const {
    return services_.status_create(code, message.c_str());
}

void Scheduler::check(hrm_status *st) const {
    if (st) throw Failure{st};
}

hrm_status *Scheduler::create(const hrm_model *model, const hrm_encoder *encoder, const hrm_policy *policy,
                              const Services &services, const Options &options,
                              std::unique_ptr<Scheduler> *out) noexcept {
    auto fail = [&](hrm_code code, const std::string &msg) { return services.status_create(code, msg.c_str()); };
    try {
        if (!out) return fail(HRM_E_INVALID_ARG, "session: out is NULL");
        if (!model || !encoder || !policy) return fail(HRM_E_INVALID_ARG, "session: model, encoder and policy are required");
        if (!model->get_spec || !model->state_create || !model->state_free || !model->reset || !model->set_inputs ||
            !model->update || !model->readout)
            return fail(HRM_E_PLUGIN, "session: the model lacks a required slot");
        if (!encoder->get_spec || !encoder->encode || !encoder->decode || !encoder->verify)
            return fail(HRM_E_PLUGIN, "session: the encoder lacks a required slot");
        if (!policy->get_spec || !policy->state_create || !policy->state_free || !policy->decide)
            return fail(HRM_E_PLUGIN, "session: the policy lacks a required slot");
        if (options.batch_size < 1) return fail(HRM_E_INVALID_ARG, "session: batch_size must be >= 1");
        if (options.shard_size < 0) return fail(HRM_E_INVALID_ARG, "session: shard_size must be >= 0");
        if (options.n_threads < 0) return fail(HRM_E_INVALID_ARG, "session: n_threads must be >= 0");

        std::unique_ptr<Scheduler> s(new Scheduler(model, encoder, policy, services));
        s->model_spec_.struct_size = sizeof(hrm_model_spec);
        s->encoder_spec_.struct_size = sizeof(hrm_encoder_spec);
        s->policy_spec_.struct_size = sizeof(hrm_policy_spec);
        if (hrm_status *st = model->get_spec(model, &s->model_spec_)) return st;
        if (hrm_status *st = encoder->get_spec(encoder, &s->encoder_spec_)) return st;
        if (hrm_status *st = policy->get_spec(policy, &s->policy_spec_)) return st;
        s->output_mask_ = hrm_encoder_output_mask_fn(encoder, s->encoder_spec_.caps);

        const hrm_model_spec &ms = s->model_spec_;
        const hrm_encoder_spec &es = s->encoder_spec_;
        const hrm_policy_spec &ps = s->policy_spec_;
        if (ms.seq_len != es.seq_len || ms.vocab_size != es.vocab_size)
            return fail(HRM_E_INVALID_ARG, "session: model and encoder disagree: model seq_len " +
                                               std::to_string(ms.seq_len) + ", vocab_size " + std::to_string(ms.vocab_size) +
                                               "; encoder seq_len " + std::to_string(es.seq_len) + ", vocab_size " +
                                               std::to_string(es.vocab_size));
        if (ms.seq_len < 1 || ms.h_cycles < 1 || ms.l_cycles < 0)
            return fail(HRM_E_PLUGIN, "session: the model spec has no sequence or no H cycle");
        if (ps.min_segments < 1 || ps.max_segments < ps.min_segments || ps.n_starts < 1 ||
            !(ps.start_noise >= 0.0f) || !std::isfinite(ps.start_noise))
            return fail(HRM_E_PLUGIN, "session: the policy spec is inconsistent (min_segments " +
                                          std::to_string(ps.min_segments) + ", max_segments " +
                                          std::to_string(ps.max_segments) + ", n_starts " + std::to_string(ps.n_starts) + ")");
        if (ps.n_starts > 1 && !policy->choose)
            return fail(HRM_E_PLUGIN, "session: a multi-start policy must provide choose");

        s->allocate(options);
        if (hrm_status *st = policy->state_create(policy, s->batch_, &s->policy_state_)) return st;
        // The full-batch model states, created here so that a model that cannot make them fails
        // the session rather than its first solve.
        s->layout(s->batch_);
        *out = std::move(s);
        return nullptr;
    } catch (const Failure &f) {
        return f.status;
    } catch (const std::bad_alloc &) {
        return fail(HRM_E_OUT_OF_MEMORY, "session: out of memory");
    } catch (const std::exception &e) {
        return fail(HRM_E_INTERNAL, std::string("session: ") + e.what());
    }
}

void Scheduler::allocate(const Options &options) {
    seed_ = options.seed;
    precision_ = options.precision < 0 ? model_spec_.default_precision : options.precision;
    n_threads_ = options.n_threads > 0 ? options.n_threads : std::max(1, tbb::info::default_concurrency());
    batch_ = options.batch_size;
    shard_option_ = options.shard_size;
    seq_len_ = model_spec_.seq_len;
    arena_ = std::make_unique<tbb::task_arena>(n_threads_);
    slots_.assign(static_cast<size_t>(batch_), Slot{});
    decide_rows_.resize(static_cast<size_t>(batch_));
    decide_slots_.resize(static_cast<size_t>(batch_));
    decide_halt_.resize(static_cast<size_t>(batch_));
}

// Use the first `rows` slots (<= batch_size), cut into shards of shard_size_ rows, each with a
// model state of its size. A solve with fewer rows than batch_size thus runs on smaller states
// instead of stepping idle rows; the states are rebuilt only when the layout changes, so repeated
// solves of full batches reuse them. Results do not depend on the layout.
void Scheduler::layout(int64_t rows) {
    const int64_t shard = shard_option_ > 0 ? std::min(shard_option_, rows) : (rows + n_threads_ - 1) / n_threads_;
    if (rows == used_ && shard == shard_size_) return;
    for (Shard &sh : shards_) model_->state_free(model_, sh.state);
    shards_.clear();
    used_ = 0;
    shard_size_ = shard;
    shards_.resize(static_cast<size_t>((rows + shard - 1) / shard));
    for (size_t k = 0; k < shards_.size(); ++k) {
        Shard &sh = shards_[k];
        sh.first = static_cast<int64_t>(k) * shard;
        sh.rows = std::min(shard, rows - sh.first);
        const auto n = static_cast<size_t>(sh.rows);
        sh.shape_rows[0] = sh.rows;
        sh.shape_tokens[0] = sh.rows;
        sh.shape_tokens[1] = seq_len_;
        sh.shape_q[0] = sh.rows;
        sh.tokens.assign(n * static_cast<size_t>(seq_len_), 0);
        sh.puzzle_ids.assign(n, 0);
        sh.fill_mask.assign(n, 0);
        sh.plain_mask.assign(n, 0);
        sh.noise_mask.assign(n, 0);
        sh.seeds.assign(n, 0);
        sh.q.assign(n * 2, 0.0f);
        sh.predictions.assign(n * static_cast<size_t>(seq_len_), 0);
        sh.shape_logits[0] = sh.rows;
        sh.shape_logits[1] = seq_len_;
        sh.shape_logits[2] = model_spec_.vocab_size;
        if (output_mask_) sh.logits.assign(n * static_cast<size_t>(seq_len_ * model_spec_.vocab_size), 0.0f);
        check(model_->state_create(model_, sh.rows, precision_, &sh.state));
    }
    used_ = rows;
}

// Run fn on every busy shard in parallel. A failure is kept per shard and the first one in shard
// order is raised afterwards, so the reported error does not depend on thread timing.
void Scheduler::parallel_over_shards(void (Scheduler::*fn)(Run &, Shard &), Run &run) {
    arena_->execute([&] {
        tbb::parallel_for(size_t(0), shards_.size(), [&](size_t k) {
            Shard &sh = shards_[k];
            try {
                (this->*fn)(run, sh);
            } catch (const Failure &f) {
                sh.error = f.status;
            } catch (const std::bad_alloc &) {
                sh.error = status(HRM_E_OUT_OF_MEMORY, "session: out of memory");
            } catch (const std::exception &e) {
                sh.error = status(HRM_E_INTERNAL, std::string("session: ") + e.what());
            }
        });
    });
    hrm_status *first = nullptr;
    for (Shard &sh : shards_) {
        if (sh.error && !first) first = sh.error;
        else if (sh.error) services_.status_free(sh.error);
        sh.error = nullptr;
    }
    check(first);
}

hrm_status *Scheduler::solve(const hrm_blob *instances, int64_t n, hrm_result *results, hrm_progress_fn progress,
                             void *user_data) noexcept {
    if (n < 0 || (n > 0 && (!instances || !results))) return status(HRM_E_INVALID_ARG, "solve: bad instances or results");
    for (int64_t i = 0; i < n; ++i) {
        std::memset(&results[i], 0, sizeof(hrm_result));
        results[i].struct_size = sizeof(hrm_result);
        results[i].verified = -1;
    }
    stats_ = SolveStats{};
    if (n == 0) return nullptr;

    hrm_status *outcome = nullptr;
    bool cancelled = false;
    Run run;
    try {
        run.instances = instances;
        run.n = n;
        run.results = results;
        run.tokens.assign(static_cast<size_t>(n * seq_len_), 0);
        run.puzzle_ids.assign(static_cast<size_t>(n), 0);
        if (output_mask_) run.masks.assign(static_cast<size_t>(n * seq_len_ * model_spec_.vocab_size), 0);
        run.finished.assign(static_cast<size_t>(n), 0);
        if (policy_spec_.n_starts > 1) run.starts_done.assign(static_cast<size_t>(n), 0);

        encode_all(run);
        int64_t rows = 0;   // rows this solve will run: no more slots than that are needed
        for (int64_t i = 0; i < n; ++i) rows += run.finished[static_cast<size_t>(i)] ? 0 : policy_spec_.n_starts;
        if (rows == 0) return nullptr;   // every instance failed to encode
        layout(std::min(rows, batch_));
        stats_.slots = used_;
        // Every row of every state gets a defined carry and inputs, so that slots no instance ever
        // reaches compute something harmless instead of uninitialised memory.
        for (Shard &sh : shards_) {
            check(model_->reset(model_, sh.state, nullptr, nullptr));
            std::fill(sh.tokens.begin(), sh.tokens.end(), encoder_spec_.pad_id);
            std::fill(sh.puzzle_ids.begin(), sh.puzzle_ids.end(), 0);
            hrm_tensor tokens = view(sh.tokens.data(), HRM_DTYPE_I32, sh.shape_tokens, 2);
            hrm_tensor ids = view(sh.puzzle_ids.data(), HRM_DTYPE_I32, sh.shape_rows, 1);
            check(model_->set_inputs(model_, sh.state, nullptr, &tokens, &ids));
        }

        while (true) {
            refill(run);
            if (run.active == 0) break;
            ++stats_.segment_steps;
            parallel_over_shards(&Scheduler::step_shard, run);
            decide();
            parallel_over_shards(&Scheduler::finish_shard, run);
            for (int64_t s = 0; s < used_; ++s) {
                Slot &slot = slots_[static_cast<size_t>(s)];
                if (slot.instance < 0) continue;
                if (slot.halt) {
                    emit(run, s);
                } else if (slot.decoded) {   // a decode for the policy only: not needed any more
                    services_.free(const_cast<void *>(slot.solution.data));
                    if (slot.decode_error) services_.status_free(slot.decode_error);
                    slot.solution = hrm_blob{};
                    slot.decode_error = nullptr;
                    slot.decoded = false;
                }
            }
            // A "stop" after the last instance finished changes nothing: the solve is complete.
            if (progress && !progress(run.done, run.n, user_data) && run.done < run.n) {
                cancelled = true;
                outcome = status(HRM_E_CANCELLED, "solve cancelled by the progress callback");
                break;
            }
        }
    } catch (const Failure &f) {
        outcome = f.status;
    } catch (const std::bad_alloc &) {
        outcome = status(HRM_E_OUT_OF_MEMORY, "solve: out of memory");
    } catch (const std::exception &e) {
        outcome = status(HRM_E_INTERNAL, std::string("solve: ") + e.what());
    }

    // Whatever stopped the loop early, every unfinished instance gets an error of its own and no
    // slot or candidate keeps anything allocated.
    for (Slot &slot : slots_) {
        if (slot.decoded) {
            services_.free(const_cast<void *>(slot.solution.data));
            if (slot.decode_error) services_.status_free(slot.decode_error);
        }
        slot = Slot{};
    }
    for (auto &entry : run.candidates)
        for (Candidate &c : entry.second) {
            services_.free(const_cast<void *>(c.solution.data));
            if (c.error) services_.status_free(c.error);
        }
    if (outcome) {
        const hrm_code code = cancelled ? HRM_E_CANCELLED : services_.status_code(outcome);
        const char *message = cancelled ? "cancelled before this instance finished" : services_.status_message(outcome);
        // Plain C calls from here on: nothing may throw out of this noexcept function.
        for (int64_t i = 0; i < n; ++i)
            if (i >= static_cast<int64_t>(run.finished.size()) || !run.finished[static_cast<size_t>(i)])
                results[i].error = services_.status_create(code, message);
    }
    return outcome;
}

// Encode every instance up front, in parallel (encode is thread-safe). A bad instance becomes its
// own result's error and never enters the queue.
void Scheduler::encode_all(Run &run) {
    const int64_t vocab = model_spec_.vocab_size;
    const int64_t n_ids = model_spec_.num_puzzle_identifiers;
    arena_->execute([&] {
        tbb::parallel_for(int64_t(0), run.n, [&](int64_t i) {
            int32_t *tokens = run.tokens.data() + i * seq_len_;
            const int64_t shape[1] = {seq_len_};
            hrm_tensor t = view(tokens, HRM_DTYPE_I32, shape, 1);
            int32_t puzzle_id = 0;
            hrm_status *st = encoder_->encode(encoder_, &run.instances[i], &t, nullptr, nullptr, &puzzle_id);
            try {
                // The model would reject the whole shard for one bad row: check per instance here.
                for (int64_t j = 0; !st && j < seq_len_; ++j)
                    if (tokens[j] < 0 || tokens[j] >= vocab)
                        st = status(HRM_E_FORMAT, "token " + std::to_string(tokens[j]) + " at position " +
                                                      std::to_string(j) + " is outside the model's vocabulary [0, " +
                                                      std::to_string(vocab) + ")");
                if (!st && (puzzle_id < 0 || (n_ids > 0 && puzzle_id >= n_ids)))
                    st = status(HRM_E_FORMAT, "puzzle identifier " + std::to_string(puzzle_id) +
                                                  " is outside the model's table [0, " + std::to_string(n_ids) + ")");
                if (!st && output_mask_) {
                    uint8_t *mask = run.masks.data() + i * seq_len_ * vocab;
                    const int64_t mask_shape[2] = {seq_len_, vocab};
                    hrm_tensor m = view(mask, HRM_DTYPE_U8, mask_shape, 2);
                    st = output_mask_(encoder_, &run.instances[i], &m);
                    // Checked once here so that the argmax of every segment always finds a token.
                    if (const int64_t j = st ? -1 : empty_mask_position(mask, seq_len_, vocab); j >= 0)
                        st = status(HRM_E_PLUGIN,
                                    "the task's output mask allows no token at position " + std::to_string(j));
                }
            } catch (...) {
                if (!st) st = status(HRM_E_OUT_OF_MEMORY, "encode: out of memory");
            }
            run.puzzle_ids[static_cast<size_t>(i)] = puzzle_id;
            if (st) {
                run.results[i].error = st;
                run.finished[static_cast<size_t>(i)] = 1;
            }
        });
    });
    for (uint8_t f : run.finished) run.done += f;
}

// Put the next queued rows into idle slots (slot order) and stage their inputs in their shard;
// step_shard resets and loads them.
void Scheduler::refill(Run &run) {
    const int32_t starts = policy_spec_.n_starts;
    const bool perturb = policy_spec_.start_noise > 0.0f;
    const Clock::time_point now = Clock::now();
    for (Shard &sh : shards_) {
        sh.any_plain = sh.any_noise = sh.any_halt = sh.has_predictions = false;
        std::fill(sh.fill_mask.begin(), sh.fill_mask.end(), 0);
        std::fill(sh.plain_mask.begin(), sh.plain_mask.end(), 0);
        std::fill(sh.noise_mask.begin(), sh.noise_mask.end(), 0);
    }
    for (int64_t s = 0; s < used_; ++s) {
        Slot &slot = slots_[static_cast<size_t>(s)];
        if (slot.instance >= 0) continue;
        while (run.next_start == 0 && run.next_instance < run.n && run.finished[static_cast<size_t>(run.next_instance)])
            ++run.next_instance;
        if (run.next_instance >= run.n) break;
        const int64_t instance = run.next_instance;
        const int32_t start = run.next_start;
        if (++run.next_start == starts) {
            run.next_start = 0;
            ++run.next_instance;
        }

        slot = Slot{};
        slot.instance = instance;
        slot.start = start;
        slot.t0 = now;
        ++run.active;
        ++stats_.rows_started;

        Shard &sh = shards_[static_cast<size_t>(s / shard_size_)];
        const int64_t r = s - sh.first;
        std::memcpy(sh.tokens.data() + r * seq_len_, run.tokens.data() + instance * seq_len_,
                    static_cast<size_t>(seq_len_) * sizeof(int32_t));
        sh.puzzle_ids[static_cast<size_t>(r)] = run.puzzle_ids[static_cast<size_t>(instance)];
        sh.fill_mask[static_cast<size_t>(r)] = 1;
        if (start > 0 && perturb) {
            const hrm_blob &b = run.instances[instance];
            sh.noise_mask[static_cast<size_t>(r)] = 1;
            sh.seeds[static_cast<size_t>(r)] =
                row_seed(seed_, std::string_view(static_cast<const char *>(b.data), b.data ? b.size : 0), start);
            sh.any_noise = true;
        } else {
            sh.plain_mask[static_cast<size_t>(r)] = 1;
            sh.any_plain = true;
        }
    }
    for (Shard &sh : shards_) {
        sh.busy = false;
        for (int64_t r = 0; r < sh.rows && !sh.busy; ++r) sh.busy = slots_[static_cast<size_t>(sh.first + r)].instance >= 0;
    }
}

// One segment of one shard: start the new rows, run the model's schedule, read out, and give
// the policy what it asked for. Idle rows of a busy shard are stepped too: rows never interact,
// so this costs time but cannot change any result.
void Scheduler::step_shard(Run &run, Shard &sh) {
    if (!sh.busy) return;
    const hrm_model *m = model_;
    if (sh.any_plain || sh.any_noise) {
        hrm_tensor mask = view(sh.fill_mask.data(), HRM_DTYPE_U8, sh.shape_rows, 1);
        if (sh.any_plain) {
            hrm_tensor plain = view(sh.plain_mask.data(), HRM_DTYPE_U8, sh.shape_rows, 1);
            check(m->reset(m, sh.state, &plain, nullptr));
        }
        if (sh.any_noise) {
            hrm_tensor noisy = view(sh.noise_mask.data(), HRM_DTYPE_U8, sh.shape_rows, 1);
            hrm_reset_params params{};
            params.struct_size = sizeof(hrm_reset_params);
            params.noise_std = policy_spec_.start_noise;
            params.row_seeds = sh.seeds.data();
            check(m->reset(m, sh.state, &noisy, &params));
        }
        hrm_tensor tokens = view(sh.tokens.data(), HRM_DTYPE_I32, sh.shape_tokens, 2);
        hrm_tensor ids = view(sh.puzzle_ids.data(), HRM_DTYPE_I32, sh.shape_rows, 1);
        check(m->set_inputs(m, sh.state, &mask, &tokens, &ids));
    }

    for (int32_t h = 0; h < model_spec_.h_cycles; ++h) {
        for (int32_t l = 0; l < model_spec_.l_cycles; ++l) check(m->update(m, sh.state, HRM_LEVEL_L));
        check(m->update(m, sh.state, HRM_LEVEL_H));
    }

    const bool want_predictions = policy_spec_.needs & (HRM_POLICY_NEEDS_PREDICTIONS | HRM_POLICY_NEEDS_VERIFY);
    hrm_tensor q = view(sh.q.data(), HRM_DTYPE_F32, sh.shape_q, 2);
    if (want_predictions)
        read_predictions(run, sh, &q);
    else
        check(m->readout(m, sh.state, nullptr, nullptr, &q));

    for (int64_t r = 0; r < sh.rows; ++r) {
        Slot &slot = slots_[static_cast<size_t>(sh.first + r)];
        if (slot.instance < 0) continue;
        ++slot.segment;
        slot.q_halt = sh.q[static_cast<size_t>(2 * r)];
        slot.q_continue = sh.q[static_cast<size_t>(2 * r + 1)];
        slot.hash = (policy_spec_.needs & HRM_POLICY_NEEDS_PREDICTIONS)
                        ? prediction_hash(sh.predictions.data() + r * seq_len_, seq_len_)
                        : 0;
        slot.verified = -1;
        if (policy_spec_.needs & HRM_POLICY_NEEDS_VERIFY) decode_row(run, sh, r);
    }
}

// Read out the predictions of the shard's rows (and q, when given). For an encoder with an output
// mask they come from the logits, as the argmax over each row's valid tokens: the model's own
// argmax may pick a token the task cannot read there (PAD in a cell), which would make the whole
// answer an error instead of the best answer the model has.
void Scheduler::read_predictions(Run &run, Shard &sh, hrm_tensor *q) {
    hrm_tensor predictions = view(sh.predictions.data(), HRM_DTYPE_I32, sh.shape_tokens, 2);
    if (!output_mask_) {
        check(model_->readout(model_, sh.state, nullptr, &predictions, q));
    } else {
        hrm_tensor logits = view(sh.logits.data(), HRM_DTYPE_F32, sh.shape_logits, 3);
        check(model_->readout(model_, sh.state, &logits, nullptr, q));
        const int64_t V = model_spec_.vocab_size, row = seq_len_ * V;
        for (int64_t r = 0; r < sh.rows; ++r) {
            const int64_t instance = slots_[static_cast<size_t>(sh.first + r)].instance;
            if (instance < 0) continue;  // idle: nothing reads its predictions
            masked_argmax(sh.logits.data() + r * row, run.masks.data() + instance * row, seq_len_, V,
                          sh.predictions.data() + r * seq_len_);
        }
    }
    sh.has_predictions = true;
}

// Decode row r's current predictions and verify them. A decode failure is kept for the result
// (it is reported only if the row halts now); a verify failure only means "not checkable" (-1).
void Scheduler::decode_row(Run &run, Shard &sh, int64_t r) {
    Slot &slot = slots_[static_cast<size_t>(sh.first + r)];
    const hrm_blob *instance = &run.instances[slot.instance];
    const int64_t shape[1] = {seq_len_};
    hrm_tensor pred = view(sh.predictions.data() + r * seq_len_, HRM_DTYPE_I32, shape, 1);
    slot.decoded = true;
    slot.verified = -1;
    hrm_blob solution{};
    if (hrm_status *st = encoder_->decode(encoder_, instance, &pred, &solution)) {
        slot.decode_error = st;
        return;
    }
    slot.solution = solution;
    int32_t valid = 0;
    if (hrm_status *st = encoder_->verify(encoder_, instance, &slot.solution, &valid, nullptr))
        services_.status_free(st);
    else
        slot.verified = valid ? 1 : 0;
}

// Ask the policy about every row that may halt, in slot order (serial: its state is one object,
// and the order keeps runs reproducible). max_segments is a hard cap whatever the policy says.
void Scheduler::decide() {
    int64_t m = 0;
    for (int64_t s = 0; s < used_; ++s) {
        Slot &slot = slots_[static_cast<size_t>(s)];
        if (slot.instance < 0) continue;
        slot.halt = slot.segment >= policy_spec_.max_segments;
        if (slot.halt || slot.segment < policy_spec_.min_segments) continue;
        hrm_policy_row &row = decide_rows_[static_cast<size_t>(m)];
        row = hrm_policy_row{};
        row.struct_size = sizeof(hrm_policy_row);
        row.segment = slot.segment;
        row.slot = s;
        row.start = slot.start;
        row.verified = slot.verified;
        row.q_halt = slot.q_halt;
        row.q_continue = slot.q_continue;
        row.prediction_hash = slot.hash;
        decide_slots_[static_cast<size_t>(m)] = s;
        ++m;
    }
    if (m > 0) {
        std::fill(decide_halt_.begin(), decide_halt_.begin() + m, 0);
        check(policy_->decide(policy_, policy_state_, m, decide_rows_.data(), sizeof(hrm_policy_row), decide_halt_.data()));
        for (int64_t i = 0; i < m; ++i)
            slots_[static_cast<size_t>(decide_slots_[static_cast<size_t>(i)])].halt = decide_halt_[static_cast<size_t>(i)] != 0;
    }
    for (Shard &sh : shards_)
        for (int64_t r = 0; r < sh.rows && !sh.any_halt; ++r) {
            const Slot &slot = slots_[static_cast<size_t>(sh.first + r)];
            sh.any_halt = slot.instance >= 0 && slot.halt;
        }
}

// Halted rows of one shard: read their predictions if the segment did not, decode and verify.
void Scheduler::finish_shard(Run &run, Shard &sh) {
    if (!sh.any_halt) return;
    if (!sh.has_predictions) read_predictions(run, sh, nullptr);
    for (int64_t r = 0; r < sh.rows; ++r) {
        Slot &slot = slots_[static_cast<size_t>(sh.first + r)];
        if (slot.instance < 0 || !slot.halt) continue;
        if (!slot.decoded) decode_row(run, sh, r);
        slot.hash = prediction_hash(sh.predictions.data() + r * seq_len_, seq_len_);
    }
}

// Hand a halted row's outcome to its result (or to its instance's candidates) and free the slot.
void Scheduler::emit(Run &run, int64_t s) {
    Slot &slot = slots_[static_cast<size_t>(s)];
    const double seconds = std::chrono::duration<double>(Clock::now() - slot.t0).count();
    const int64_t i = slot.instance;
    if (policy_spec_.n_starts == 1) {
        hrm_result &res = run.results[i];
        res.segments = slot.segment;
        res.solution = slot.solution;
        res.q_halt = slot.q_halt;
        res.q_continue = slot.q_continue;
        res.verified = slot.verified;
        res.start = 0;
        res.error = slot.decode_error;
        res.seconds = seconds;
        run.finished[static_cast<size_t>(i)] = 1;
        ++run.done;
    } else {
        std::vector<Candidate> &cands = run.candidates[i];
        if (cands.empty()) cands.resize(static_cast<size_t>(policy_spec_.n_starts));
        Candidate &c = cands[static_cast<size_t>(slot.start)];
        c.row.struct_size = sizeof(hrm_policy_row);
        c.row.segment = slot.segment;
        c.row.slot = s;
        c.row.start = slot.start;
        c.row.verified = slot.verified;
        c.row.q_halt = slot.q_halt;
        c.row.q_continue = slot.q_continue;
        c.row.prediction_hash = slot.hash;
        c.solution = slot.solution;
        c.error = slot.decode_error;
        c.seconds = seconds;
        if (++run.starts_done[static_cast<size_t>(i)] == policy_spec_.n_starts) finish_instance(run, i);
    }
    slot = Slot{};   // ownership of solution / decode_error moved above
    --run.active;
}

// All starts of a multi-start instance are done: the policy picks one among those that decoded.
void Scheduler::finish_instance(Run &run, int64_t i) {
    std::vector<Candidate> cands = std::move(run.candidates[i]);
    run.candidates.erase(i);
    std::vector<hrm_policy_row> rows;
    std::vector<size_t> index;
    for (size_t k = 0; k < cands.size(); ++k)
        if (!cands[k].error) {
            rows.push_back(cands[k].row);
            index.push_back(k);
        }
    hrm_result &res = run.results[i];
    size_t chosen = cands.size();
    if (rows.empty()) {
        res.error = cands[0].error;   // every start failed to decode: report the first
        cands[0].error = nullptr;
    } else {
        int64_t pick = -1;
        if (hrm_status *st = policy_->choose(policy_, static_cast<int64_t>(rows.size()), rows.data(), sizeof(hrm_policy_row), &pick))
            res.error = st;
        else if (pick < 0 || pick >= static_cast<int64_t>(rows.size()))
            res.error = status(HRM_E_PLUGIN, "policy choose returned candidate " + std::to_string(pick) + " of " +
                                                 std::to_string(rows.size()));
        else
            chosen = index[static_cast<size_t>(pick)];
    }
    if (chosen < cands.size()) {
        Candidate &c = cands[chosen];
        res.segments = c.row.segment;
        res.solution = c.solution;
        res.q_halt = c.row.q_halt;
        res.q_continue = c.row.q_continue;
        res.verified = c.row.verified;
        res.start = c.row.start;
        res.seconds = c.seconds;
        c.solution = hrm_blob{};
    }
    for (Candidate &c : cands) {
        services_.free(const_cast<void *>(c.solution.data));
        if (c.error) services_.status_free(c.error);
    }
    run.finished[static_cast<size_t>(i)] = 1;
    ++run.done;
}

}  // namespace hrm::sched
