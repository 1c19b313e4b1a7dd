// The session engine behind hrm.h's "Sessions": continuous batching of ACT segments over plugin
// vtables, with the model's shards stepped in parallel on oneTBB.
//
// Internal to libhrm (hidden visibility). session.cpp wraps it into the C functions; the unit tests
// in tests/sched drive it directly with in-process mock plugins, which is why everything it needs
// from the library arrives through Services instead of calls into libhrm.
#pragma once

#include "hrm/hrm.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <oneapi/tbb/task_arena.h>

namespace hrm::sched {

// What the engine needs from the host library: creating, reading and freeing statuses, and
// freeing the blobs plugins allocate with the host allocator (decode's solutions).
struct Services {
    hrm_status *(*status_create)(hrm_code code, const char *message);
    hrm_code (*status_code)(const hrm_status *status);
    const char *(*status_message)(const hrm_status *status);
    void (*status_free)(hrm_status *status);
    void (*free)(void *ptr);
};

struct Options {
    int32_t n_threads = 0;      // oneTBB workers; 0 = oneTBB's default concurrency (the process's cores)
    int64_t batch_size = 64;    // slots in flight
    int64_t shard_size = 0;     // rows per model state; 0 = ceil(slots in use / n_threads)
    int32_t precision = -1;     // an hrm_precision, or < 0 for the model's default_precision
    uint64_t seed = 0;          // seeds the perturbed starts of multi-start policies
};

// Counters of the last solve, for tests and benchmarks.
struct SolveStats {
    int64_t segment_steps = 0;  // iterations of the segment loop (each steps every busy shard once)
    int64_t rows_started = 0;   // rows placed into slots (instances x starts that got to run)
    int64_t slots = 0;          // slots used: batch_size, or fewer when the solve has fewer rows
};

// Seed of the reset noise of one start of one instance. It depends on the instance's bytes, not
// on its index or slot, so a multi-start answer is the same whatever the batch layout and
// whatever the order the instances arrive in. Start 0 is never perturbed.
uint64_t row_seed(uint64_t session_seed, std::string_view instance, int32_t start);

// FNV-1a over the predicted tokens, never 0 (0 means "not computed" in hrm_policy_row).
uint64_t prediction_hash(const int32_t *tokens, int64_t n);

class Scheduler {
public:
    // Check that model, encoder and policy fit together and allocate what the solves reuse: the
    // policy state, the slots, and one model state per shard of the full batch (a solve with
    // fewer rows than batch_size re-cuts them smaller, see layout()). The vtables are borrowed
    // and must outlive the scheduler.
    static hrm_status *create(const hrm_model *model, const hrm_encoder *encoder, const hrm_policy *policy,
                              const Services &services, const Options &options,
                              std::unique_ptr<Scheduler> *out) noexcept;
    ~Scheduler();
    Scheduler(const Scheduler &) = delete;
    Scheduler &operator=(const Scheduler &) = delete;

    // hrm_session_solve's contract with results of exactly sizeof(hrm_result): every element is
    // written (struct_size set, owned members to be released with hrm_result_clear); per-instance
    // failures go into results[i].error; returns HRM_E_CANCELLED when progress asked to stop, or
    // the status of a model failure (then the unfinished results carry a copy of it).
    hrm_status *solve(const hrm_blob *instances, int64_t n, hrm_result *results, hrm_progress_fn progress,
                      void *user_data) noexcept;

    const SolveStats &last_stats() const { return stats_; }
    int64_t batch_size() const { return batch_; }
    int64_t shard_size() const { return shard_size_; }
    int32_t n_threads() const { return n_threads_; }

private:
    using Clock = std::chrono::steady_clock;
    struct Shard;
    struct Slot;
    struct Run;

    Scheduler(const hrm_model *model, const hrm_encoder *encoder, const hrm_policy *policy, const Services &services);
    void allocate(const Options &options);
    void layout(int64_t rows);
    void free_all() noexcept;

    void run(Run &run);
    void encode_all(Run &run);
    void refill(Run &run);
    void step_shard(Run &run, Shard &shard);
    void finish_shard(Run &run, Shard &shard);
    void read_predictions(Run &run, Shard &shard, hrm_tensor *q);
    void decode_row(Run &run, Shard &shard, int64_t row);
    void decide();
    void emit(Run &run, int64_t slot);
    void finish_instance(Run &run, int64_t instance);
    void parallel_over_shards(void (Scheduler::*fn)(Run &, Shard &), Run &run);

    hrm_status *status(hrm_code code, const std::string &message) const;
    void check(hrm_status *st) const;   // throws Failure if st is non-NULL

    const hrm_model *model_;
    const hrm_encoder *encoder_;
    const hrm_policy *policy_;
    Services services_;

    hrm_model_spec model_spec_{};
    hrm_encoder_spec encoder_spec_{};
    hrm_policy_spec policy_spec_{};
    // The encoder's output_mask slot (hrm_encoder_output_mask_fn), or NULL: then predictions are
    // the model's own argmax, else the argmax over each instance's valid output tokens.
    hrm_encoder_output_mask_slot output_mask_ = nullptr;
    hrm_precision precision_ = HRM_PRECISION_FP32;
    uint64_t seed_ = 0;
    int32_t n_threads_ = 1;
    int64_t batch_ = 0;
    int64_t shard_option_ = 0;  // Options::shard_size
    int64_t used_ = 0;          // slots of the current layout (<= batch_)
    int64_t shard_size_ = 0;    // rows per shard of the current layout
    int64_t seq_len_ = 0;

    std::unique_ptr<tbb::task_arena> arena_;
    std::vector<Shard> shards_;
    std::vector<Slot> slots_;
    hrm_policy_state *policy_state_ = nullptr;
    std::vector<hrm_policy_row> decide_rows_;   // scratch of decide(), sized batch_
    std::vector<int64_t> decide_slots_;
    std::vector<uint8_t> decide_halt_;
    SolveStats stats_;
};

}  // namespace hrm::sched
