#include "policies.hpp"

#include "hrm/hrm_plugin.hpp"

#include <toml++/toml.h>

#include <cmath>
#include <optional>
#include <set>
#include <sstream>
#include <string>

namespace hrm::policies {
namespace {

using hrm::plugin::Error;

// The reference's halt_max_steps: the default segment budget of every policy.
constexpr int64_t kDefaultMaxSegments = 16;
// A bound that keeps segment counts inside int32_t with room to spare.
constexpr int64_t kSegmentLimit = 1'000'000;

// The [policy] table of the instance config. Every getter records the key it read, so that
// reject_unknown() can name a misspelt option instead of silently ignoring it.
class Options {
public:
    explicit Options(const char *text) {
        if (!text || !*text) return;
        try {
            root_ = toml::parse(std::string_view(text));
        } catch (const toml::parse_error &e) {
            std::ostringstream msg;
            msg << "config is not valid TOML: " << e.description() << " (line " << e.source().begin.line
                << ", column " << e.source().begin.column << ")";
            throw Error(HRM_E_FORMAT, msg.str());
        }
        // Other tables of a config file are not the policy's business, but a plain key outside
        // any table (`segments = 3` meant for [policy]) would be ignored: refuse it.
        for (auto &&[key, node] : root_)
            if (!node.is_table() && key.str() != "policy")   // a non-table policy key: refused below
                throw Error(HRM_E_INVALID_ARG, "unknown key '" + std::string(key.str()) +
                                                   "' (policy options go in the [policy] table)");
        if (const toml::node *node = root_.get("policy")) {
            table_ = node->as_table();
            if (!table_) throw Error(HRM_E_INVALID_ARG, "policy: expected a table ([policy])");
        }
    }

    int64_t integer(const char *key, int64_t fallback, int64_t lo, int64_t hi) {
        const toml::node *node = find(key);
        if (!node) return fallback;
        if (!node->is_integer()) fail(key, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        int64_t v = node->as_integer()->get();
        if (v < lo || v > hi)
            fail(key, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                          std::to_string(v));
        return v;
    }

    // A number (integers accepted) inside (lo, hi) or [lo, hi] depending on open.
    std::optional<double> real(const char *key, double lo, double hi, bool open, const char *range) {
        const toml::node *node = find(key);
        if (!node) return std::nullopt;
        double v = 0;
        if (node->is_integer()) v = static_cast<double>(node->as_integer()->get());
        else if (node->is_floating_point()) v = node->as_floating_point()->get();
        else fail(key, std::string("expected a number in ") + range);
        bool inside = std::isfinite(v) && (open ? (v > lo && v < hi) : (v >= lo && v <= hi));
        if (!inside) {
            std::ostringstream msg;
            msg << "expected a number in " << range << ", got " << v;
            fail(key, msg.str());
        }
        return v;
    }

    void reject_unknown() const {
        if (!table_) return;
        for (auto &&[key, node] : *table_) {
            (void)node;
            if (!read_.count(std::string(key.str())))
                throw Error(HRM_E_INVALID_ARG, "policy." + std::string(key.str()) + ": unknown option for this policy");
        }
    }

    [[noreturn]] static void fail(const char *key, const std::string &what) {
        throw Error(HRM_E_INVALID_ARG, std::string("policy.") + key + ": " + what);
    }

private:
    const toml::node *find(const char *key) {
        read_.insert(key);
        return table_ ? table_->get(key) : nullptr;
    }

    toml::table root_;
    const toml::table *table_ = nullptr;
    std::set<std::string> read_;
};

// min_segments / max_segments, shared by every policy that halts rows on its own.
struct SegmentRange {
    int32_t min = 1;
    int32_t max = static_cast<int32_t>(kDefaultMaxSegments);
};

SegmentRange read_range(Options &opts) {
    SegmentRange r;
    r.min = static_cast<int32_t>(opts.integer("min_segments", 1, 1, kSegmentLimit));
    r.max = static_cast<int32_t>(opts.integer("max_segments", kDefaultMaxSegments, 1, kSegmentLimit));
    if (r.max < r.min)
        Options::fail("max_segments", "must be >= min_segments (" + std::to_string(r.min) + "), got " +
                                          std::to_string(r.max));
    return r;
}

hrm_policy_spec base_spec(const SegmentRange &r) {
    hrm_policy_spec s{};
    s.struct_size = sizeof(hrm_policy_spec);
    s.needs = 0;
    s.min_segments = r.min;
    s.max_segments = r.max;
    s.n_starts = 1;
    s.start_noise = 0.0f;
    return s;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// The Q-head rule shared by q-halt and multi-start. Without a threshold it is the reference's
// training rule (q_halt > q_continue); with one it is a calibrated confidence cut on the halting
// logit alone, which is what a model trained with TRM's halt-only head needs.
bool q_says_halt(const hrm_policy_row &row, const std::optional<double> &threshold) {
    if (threshold) return sigmoid(row.q_halt) >= *threshold;
    return row.q_halt > row.q_continue;
}

// ---- fixed --------------------------------------------------------------------------------------
// The reference evaluation: every row runs exactly `segments` segments. min = max = segments, so
// the scheduler's hard cap does the halting and decide is only a safety net.
class Fixed final : public Policy {
public:
    explicit Fixed(Options &opts) {
        int32_t n = static_cast<int32_t>(opts.integer("segments", kDefaultMaxSegments, 1, kSegmentLimit));
        spec_ = base_spec({n, n});
    }
    void decide(std::vector<SlotMemory> &, int64_t n, const hrm_policy_row *rows, uint8_t *halt) const override {
        for (int64_t i = 0; i < n; ++i) halt[i] = rows[i].segment >= spec_.max_segments;
    }
};

// ---- q-halt -------------------------------------------------------------------------------------
class QHalt final : public Policy {
public:
    explicit QHalt(Options &opts) {
        threshold_ = opts.real("threshold", 0.0, 1.0, true, "(0, 1)");
        spec_ = base_spec(read_range(opts));
    }
    void decide(std::vector<SlotMemory> &, int64_t n, const hrm_policy_row *rows, uint8_t *halt) const override {
        for (int64_t i = 0; i < n; ++i)
            halt[i] = rows[i].segment >= spec_.max_segments ||
                      (rows[i].segment >= spec_.min_segments && q_says_halt(rows[i], threshold_));
    }

private:
    std::optional<double> threshold_;
};

// ---- verify -------------------------------------------------------------------------------------
// Stops on the task's own check, so it can only stop early on tasks with a verifier (Sudoku,
// mazes); rows whose answer is never accepted run to max_segments.
class Verify final : public Policy {
public:
    explicit Verify(Options &opts) {
        spec_ = base_spec(read_range(opts));
        spec_.needs = HRM_POLICY_NEEDS_VERIFY;
    }
    void decide(std::vector<SlotMemory> &, int64_t n, const hrm_policy_row *rows, uint8_t *halt) const override {
        for (int64_t i = 0; i < n; ++i)
            halt[i] = rows[i].segment >= spec_.max_segments ||
                      (rows[i].segment >= spec_.min_segments && rows[i].verified == 1);
    }
};

// ---- stable -------------------------------------------------------------------------------------
// A fixed point of the recurrence shows up as an answer that stops changing; k counts the
// segments in a row whose prediction equalled the previous one.
class Stable final : public Policy {
public:
    explicit Stable(Options &opts) {
        k_ = static_cast<int32_t>(opts.integer("k", 2, 1, kSegmentLimit));
        spec_ = base_spec(read_range(opts));
        spec_.needs = HRM_POLICY_NEEDS_PREDICTIONS;
    }
    void decide(std::vector<SlotMemory> &memory, int64_t n, const hrm_policy_row *rows, uint8_t *halt) const override {
        for (int64_t i = 0; i < n; ++i) {
            const hrm_policy_row &row = rows[i];
            SlotMemory &m = memory[static_cast<size_t>(row.slot)];
            // A row is new in its slot when its segment does not follow the one remembered. This
            // also covers min_segments > 1, where the first row the policy sees is not segment 1.
            if (row.segment == 1 || row.segment != m.last_segment + 1) {
                m.unchanged = 0;
            } else {
                m.unchanged = row.prediction_hash == m.last_hash ? m.unchanged + 1 : 0;
            }
            m.last_segment = row.segment;
            m.last_hash = row.prediction_hash;
            halt[i] = row.segment >= spec_.max_segments ||
                      (row.segment >= spec_.min_segments && m.unchanged >= k_);
        }
    }

private:
    int32_t k_ = 2;
};

// ---- multi-start --------------------------------------------------------------------------------
// Several independent runs of each instance (start 0 from the reference init, the others from a
// perturbed carry), each halting like q-halt; then the best candidate wins.
class MultiStart final : public Policy {
public:
    explicit MultiStart(Options &opts) {
        int32_t starts = static_cast<int32_t>(opts.integer("n_starts", 4, 1, 1024));
        double noise = opts.real("start_noise", 0.0, 1e6, false, "[0, 1e6]").value_or(0.1);
        threshold_ = opts.real("threshold", 0.0, 1.0, true, "(0, 1)");
        spec_ = base_spec(read_range(opts));
        spec_.n_starts = starts;
        spec_.start_noise = static_cast<float>(noise);
    }
    void decide(std::vector<SlotMemory> &, int64_t n, const hrm_policy_row *rows, uint8_t *halt) const override {
        for (int64_t i = 0; i < n; ++i)
            halt[i] = rows[i].segment >= spec_.max_segments ||
                      (rows[i].segment >= spec_.min_segments && q_says_halt(rows[i], threshold_));
    }
    // A verified answer beats any unverified one; then the most confident halting head (the
    // highest q_halt, i.e. the highest sigmoid(q_halt)); ties go to the lowest start so that the
    // choice never depends on the order the candidates finished in.
    int64_t choose(int64_t n, const hrm_policy_row *c) const override {
        int64_t best = 0;
        for (int64_t i = 1; i < n; ++i) {
            bool vi = c[i].verified == 1, vb = c[best].verified == 1;
            if (vi != vb) {
                if (vi) best = i;
                continue;
            }
            if (c[i].q_halt > c[best].q_halt || (c[i].q_halt == c[best].q_halt && c[i].start < c[best].start))
                best = i;
        }
        return best;
    }

private:
    std::optional<double> threshold_;
};

}  // namespace

int64_t Policy::choose(int64_t, const hrm_policy_row *) const {
    throw Error(HRM_E_UNSUPPORTED, "this policy runs one start per instance and has no choose");
}

std::unique_ptr<Policy> make_policy(std::string_view id, const char *config) {
    Options opts(config);
    std::unique_ptr<Policy> p;
    if (id == kPolicyClasses[0].id) p = std::make_unique<Fixed>(opts);
    else if (id == kPolicyClasses[1].id) p = std::make_unique<QHalt>(opts);
    else if (id == kPolicyClasses[2].id) p = std::make_unique<Verify>(opts);
    else if (id == kPolicyClasses[3].id) p = std::make_unique<Stable>(opts);
    else if (id == kPolicyClasses[4].id) p = std::make_unique<MultiStart>(opts);
    else throw Error(HRM_E_NOT_FOUND, "no policy class with id '" + std::string(id) + "'");
    opts.reject_unknown();
    return p;
}

}  // namespace hrm::policies
