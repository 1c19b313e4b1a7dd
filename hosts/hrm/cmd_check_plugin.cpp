// hrm check-plugin NAME|PATH: a validator for plugin authors, as CLAP has clap-validator. It drives
// every slot of every class of one plugin through the C ABI, the way a host would and the ways a
// careless host might, and reports each check as PASS, FAIL or SKIP; the exit code is 1 when any
// check failed. Each class runs in a child process, so a plugin that crashes is reported (with the
// check it crashed in) instead of taking the checker down.
//
// What it checks, by kind (docs/c-api.md, "Checking a plugin"):
//   every class  descriptor fields, vtable struct_size/api_version, required slots present,
//                versioned output structs written no further than their struct_size
//   task         split/encode/decode round trips, verify accepting the label and rejecting every
//                corrupted one, generator determinism, oracle solutions verified and unique ones
//                equal to the label, augment then inverse giving the original, output masks
//                allowing the label, render, malformed input and wrong shapes refused with a
//                message, the [thread-safe] slots giving the serial results from four threads
//   policy       spec ranges, states, decide and choose on synthetic rows, bad arguments refused
//   model        spec, a fresh state run one segment (finite, deterministic, rows independent of
//                their batch), parameters listed, bad inputs refused
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c_views.hpp"
#include "cli.hpp"
#include "commands.hpp"

using namespace hrm::runner;

namespace {

// ---- Reporting -------------------------------------------------------------------------------

// The name of the check in progress, in memory shared with the parent, so a crash can be named.
struct Shared {
    char check[256];
    int fails;
    bool finished;  // the child ran every check and exits on its own
};
Shared *g_shared = nullptr;

struct Report {
    int fails = 0, passes = 0, skips = 0;

    void begin(const std::string &check) {
        if (g_shared) std::snprintf(g_shared->check, sizeof g_shared->check, "%s", check.c_str());
    }
    void pass(const std::string &check, const std::string &detail = {}) {
        ++passes;
        std::cout << "  PASS  " << check << (detail.empty() ? "" : ": " + detail) << "\n" << std::flush;
    }
    void fail(const std::string &check, const std::string &detail) {
        ++fails;
        if (g_shared) g_shared->fails = fails;
        std::cout << "  FAIL  " << check << ": " << detail << "\n" << std::flush;
    }
    void skip(const std::string &check, const std::string &why) {
        ++skips;
        std::cout << "  SKIP  " << check << ": " << why << "\n" << std::flush;
    }
    // One check: run body, which returns "" for a pass or the reason it failed. A C++ exception
    // out of the body (an hrm::Error from a wrapper call) is a failure too.
    void run(const std::string &check, const std::function<std::string()> &body) {
        begin(check);
        std::string why;
        try {
            why = body();
        } catch (const std::exception &e) {
            why = std::string("exception: ") + e.what();
        }
        why.empty() ? pass(check) : fail(check, why);
    }
};

// A status taken from a call: success, or its code and message; the status is freed.
struct Outcome {
    bool ok = true;
    hrm_code code = HRM_OK;
    std::string message;
};
Outcome take(hrm_status *s) {
    Outcome o;
    if (!s) return o;
    o.ok = false;
    o.code = hrm_status_code(s);
    const char *m = hrm_status_message(s);
    o.message = m ? m : "";
    hrm_status_free(s);
    return o;
}
std::string describe(const Outcome &o) {
    return o.ok ? "success" : std::string(hrm_code_name(o.code)) + " '" + o.message + "'";
}
// "" when a call that must fail failed with a message; else why not.
std::string must_refuse(const Outcome &o, const std::string &what) {
    if (o.ok) return what + " was accepted";
    if (o.message.empty()) return what + " failed without a message (" + std::string(hrm_code_name(o.code)) + ")";
    return "";
}

// Calls get_spec with another struct_size than the checker's and checks nothing past it was
// written. Larger (a host compiled against a newer header): filled, the rest left alone. Smaller
// (an older header): the part it has filled, or a refusal with a message when that is smaller than
// the API 1 layout, which no host was ever compiled with.
template <class Spec, class Fn>
std::string check_spec_size(Fn get_spec, size_t size) {
    std::array<unsigned char, sizeof(Spec) + 64> buf;
    buf.fill(0xA5);
    const uint32_t s = uint32_t(size);
    std::memcpy(buf.data(), &s, sizeof s);
    const std::string call = "get_spec with struct_size " + std::to_string(size);
    const Outcome o = take(get_spec(reinterpret_cast<Spec *>(buf.data())));
    if (!o.ok && (size >= sizeof(Spec) || o.message.empty())) return call + " failed: " + describe(o);
    uint32_t back = 0;
    std::memcpy(&back, buf.data(), sizeof back);
    if (back != s) return call + " changed the caller's struct_size to " + std::to_string(back);
    for (size_t i = o.ok ? size : sizeof s; i < buf.size(); ++i)
        if (buf[i] != 0xA5)
            return call + (o.ok ? " wrote byte " : " failed but wrote byte ") + std::to_string(i) + " past it";
    return "";
}
template <class Spec, class Fn>
std::string check_spec_sizes(Fn get_spec, size_t smaller) {
    if (auto why = check_spec_size<Spec>(get_spec, sizeof(Spec) + 32); !why.empty()) return why;
    return check_spec_size<Spec>(get_spec, smaller);
}

std::string check_descriptor(const hrm_descriptor *d, const hrm_descriptor *listed) {
    if (!d) return "the vtable has no descriptor";
    if (d != listed && (!listed || std::strcmp(d->id, listed->id) != 0))
        return "the instance's descriptor is not the class the factory listed";
    if (d->struct_size < sizeof(uint32_t) + sizeof(hrm_kind)) return "descriptor struct_size too small";
    for (auto [field, value] : {std::pair{"id", d->id}, {"name", d->name}, {"version", d->version}})
        if (!value || !*value) return std::string("descriptor ") + field + " is empty";
    if (!std::strchr(d->id, '.'))
        return std::string("descriptor id '") + d->id + "' is not reverse-DNS (org.example.task.name)";
    for (const char *c = d->name; *c; ++c)
        if (!(std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' || *c == '_'))
            return std::string("descriptor name '") + d->name + "' is not a command-line word";
    if (!d->vendor || !d->description || !d->url) return "descriptor vendor, description or url is NULL (use \"\")";
    if (d->features)
        for (int i = 0; d->features[i]; ++i)
            if (i > 256) return "descriptor features are not NULL-terminated";
    return "";
}

// The vtable's own header: struct_size reaching `end` (its last API 1 member), an api_version
// this runtime knows how to read.
std::string check_table(uint32_t struct_size, uint32_t api_version, size_t end) {
    if (struct_size < end)
        return "vtable struct_size " + std::to_string(struct_size) + " is smaller than the API 1 table (" +
               std::to_string(end) + ")";
    if (api_version < 1) return "vtable api_version is 0";
    return "";
}

// ---- Tasks -----------------------------------------------------------------------------------

struct Options {
    // The instance config of each kind: the [task], [policy] and [model] tables of --config/--set.
    std::string task_config, policy_config, model_config;
    std::vector<std::string> instance_files;
    std::string generate_options;
    int count = 16;
};

struct Sample {
    std::string text;
    std::vector<int32_t> tokens, labels;
    int32_t puzzle_id = 0;
    bool has_labels = false;
};

class TaskCheck {
public:
    TaskCheck(const hrm_encoder *e, Report &r, const Options &opt) : e_(e), r_(r), opt_(opt) {}

    void run(const hrm_descriptor *listed) {
        r_.run("descriptor", [&] { return check_descriptor(e_->desc, listed); });
        r_.run("vtable", [&] { return table(); });
        if (!e_->get_spec || !e_->split || !e_->encode || !e_->decode || !e_->verify) return;
        r_.run("spec", [&] { return spec(); });
        if (spec_.seq_len <= 0 || spec_.vocab_size <= 0) return;
        r_.run("spec honours the caller's struct_size", [&] {
            return check_spec_sizes<hrm_encoder_spec>([&](hrm_encoder_spec *o) { return e_->get_spec(e_, o); },
                                                      offsetof(hrm_encoder_spec, vocab_size));
        });
        r_.run("spec refuses a NULL output",
               [&] { return must_refuse(take(e_->get_spec(e_, nullptr)), "get_spec(NULL)"); });
        collect();
        if (samples_.empty()) {
            r_.skip("instances", "none: the task cannot generate; pass --instances FILE with solved instances");
            return;
        }
        r_.run("split finds each instance alone", [&] { return split_each(); });
        r_.run("split cuts a file of instances", [&] { return split_file(); });
        r_.run("split ends on empty text", [&] { return split_empty(); });
        r_.run("encode", [&] { return encode_all(); });
        r_.run("encode refuses wrong tensors", [&] { return encode_bad_tensors(); });
        r_.run("encode refuses malformed instances", [&] { return encode_malformed(); });
        r_.run("decode then verify accepts the label", [&] { return label_round_trip(); });
        r_.run("verify rejects corrupted labels", [&] { return corrupted(); });
        r_.run("decode refuses wrong tensors", [&] { return decode_bad_tensors(); });
        optional(HRM_ENCODER_CAN_SOLVE, "solve", [&] { return solve(); });
        optional(HRM_ENCODER_CAN_AUGMENT, "augment then inverse is the identity", [&] { return augment(); });
        optional(HRM_ENCODER_CAN_MASK, "output_mask allows every label", [&] { return output_mask(); });
        optional(HRM_ENCODER_CAN_RENDER, "render", [&] { return render(); });
        r_.run("[thread-safe] slots from four threads", [&] { return threads(); });
        r_.run("get_extension of an unknown id is NULL", [&] {
            return e_->get_extension && e_->get_extension(e_, "org.hrm-sdk.check.no-such-extension")
                       ? std::string("returned a table for an unknown id")
                       : std::string();
        });
    }

private:
    int64_t S() const { return spec_.seq_len; }
    int64_t V() const { return spec_.vocab_size; }

    void optional(hrm_encoder_caps cap, const std::string &check, const std::function<std::string()> &body) {
        if (!(spec_.caps & cap)) return r_.skip(check, "not among the task's caps");
        r_.run(check, body);
    }

    std::string table() {
        if (auto why =
                check_table(e_->struct_size, e_->api_version, offsetof(hrm_encoder, destroy) + sizeof e_->destroy);
            !why.empty())
            return why;
        for (auto [name, slot] : {std::pair<const char *, const void *>{"get_spec", (const void *)e_->get_spec},
                                  {"split", (const void *)e_->split},
                                  {"encode", (const void *)e_->encode},
                                  {"decode", (const void *)e_->decode},
                                  {"verify", (const void *)e_->verify},
                                  {"destroy", (const void *)e_->destroy}})
            if (!slot) return std::string("required slot ") + name + " is NULL";
        return "";
    }

    std::string spec() {
        spec_.struct_size = sizeof spec_;
        const Outcome o = take(e_->get_spec(e_, &spec_));
        if (!o.ok) return "get_spec failed: " + describe(o);
        if (spec_.struct_size != sizeof spec_) return "get_spec changed struct_size";
        std::ostringstream why;
        if (spec_.seq_len <= 0 || spec_.seq_len > (1 << 20)) why << "seq_len " << spec_.seq_len << " out of 1..2^20; ";
        if (spec_.vocab_size <= 1 || spec_.vocab_size > (1 << 20))
            why << "vocab_size " << spec_.vocab_size << " out of 2..2^20; ";
        if (spec_.pad_id < 0 || spec_.pad_id >= spec_.vocab_size) why << "pad_id " << spec_.pad_id << " not a token; ";
        if (spec_.ignore_label_id < -1 || spec_.ignore_label_id >= spec_.vocab_size)
            why << "ignore_label_id " << spec_.ignore_label_id << " neither -1 nor a token; ";
        if (spec_.num_puzzle_identifiers < 1)
            why << "num_puzzle_identifiers " << spec_.num_puzzle_identifiers << " < 1; ";
        if (spec_.num_augmentations < 0) why << "num_augmentations < 0; ";
        // Each optional slot is present exactly when its cap says so.
        const std::pair<hrm_encoder_caps, std::pair<const char *, const void *>> optional[] = {
            {HRM_ENCODER_CAN_SOLVE, {"solve", (const void *)e_->solve}},
            {HRM_ENCODER_CAN_GENERATE, {"generate", (const void *)e_->generate}},
            {HRM_ENCODER_CAN_AUGMENT, {"augment", (const void *)e_->augment}},
            {HRM_ENCODER_CAN_RENDER, {"render", (const void *)e_->render}}};
        for (const auto &[cap, slot] : optional)
            if (bool(spec_.caps & cap) != (slot.second != nullptr))
                why << "slot " << slot.first << (slot.second ? " present without" : " NULL despite") << " its cap; ";
        if ((spec_.caps & HRM_ENCODER_CAN_MASK) && !hrm_encoder_output_mask_fn(e_, spec_.caps))
            why << "CAN_MASK set but the table has no output_mask slot (API 2); ";
        return why.str();
    }

    Outcome encode(const std::string &text, Sample &s) {
        s.text = text;
        s.tokens.assign(size_t(S()), -7);
        s.labels.assign(size_t(S()), -7);
        const int64_t shape[1] = {S()};
        hrm_tensor t = tensor_view(s.tokens, HRM_DTYPE_I32, shape, 1), l = tensor_view(s.labels, HRM_DTYPE_I32, shape, 1);
        const hrm_blob in = blob(s.text);
        int32_t has = -1;
        const Outcome o = take(e_->encode(e_, &in, &t, &l, &has, &s.puzzle_id));
        s.has_labels = has == 1;
        return o;
    }

    void collect() {
        for (const auto &path : opt_.instance_files) {
            r_.begin("read " + path);
            std::string text;
            try {
                text = read_input(path);
            } catch (const std::exception &e) {
                r_.fail("read --instances " + path, e.what());
                continue;
            }
            const hrm_blob whole = blob(text);
            size_t offset = 0;
            for (int n = 0; n < opt_.count * 64; ++n) {
                hrm_blob rec{};
                if (!take(e_->split(e_, &whole, &offset, &rec)).ok || !rec.data) break;
                Sample s;
                if (encode(std::string(static_cast<const char *>(rec.data), rec.size), s).ok && s.has_labels)
                    samples_.push_back(std::move(s));
                if (int(samples_.size()) >= opt_.count) break;
            }
        }
        if (!(spec_.caps & HRM_ENCODER_CAN_GENERATE) || !e_->generate) return;
        r_.run("generate is deterministic and seeded", [&] {
            std::set<std::string> distinct;
            for (int i = 0; i < opt_.count; ++i) {
                const uint64_t seed = 1000 + uint64_t(i);
                const char *opts = opt_.generate_options.empty() ? nullptr : opt_.generate_options.c_str();
                hrm_blob a{}, b{};
                Outcome o = take(e_->generate(e_, seed, opts, &a));
                if (!o.ok) return "generate(seed " + std::to_string(seed) + ") failed: " + describe(o);
                const std::string first = take_blob(a);
                o = take(e_->generate(e_, seed, opts, &b));
                if (!o.ok) return "generate(seed " + std::to_string(seed) + ") failed the second time: " + describe(o);
                if (take_blob(b) != first)
                    return "generate(seed " + std::to_string(seed) + ") gave two different instances";
                Sample s;
                if (o = encode(first, s); !o.ok)
                    return "encode of generated instance " + std::to_string(seed) + ": " + describe(o);
                if (!s.has_labels) return "generated instance " + std::to_string(seed) + " carries no solution";
                distinct.insert(first);
                samples_.push_back(std::move(s));
            }
            if (opt_.count > 1 && distinct.size() < 2) return std::string("every seed gave the same instance");
            return std::string();
        });
    }

    std::vector<std::string> split_all(const std::string &text, std::string &error) {
        std::vector<std::string> out;
        const hrm_blob whole = blob(text);
        size_t offset = 0;
        for (size_t n = 0;; ++n) {
            const size_t before = offset;
            hrm_blob rec{};
            const Outcome o = take(e_->split(e_, &whole, &offset, &rec));
            if (!o.ok) return error = "split failed: " + describe(o), out;
            if (!rec.data) {
                if (rec.size != 0) error = "end of text with a non-zero record size";
                return out;
            }
            const char *p = static_cast<const char *>(rec.data);
            if (p < text.data() || p + rec.size > text.data() + text.size())
                return error = "record is not a slice of the text", out;
            if (offset <= before || offset > text.size())
                return error = "offset did not move forward inside the text", out;
            out.emplace_back(p, rec.size);
            if (n > text.size()) return error = "split does not end", out;
        }
    }

    std::string split_each() {
        for (const auto &s : samples_) {
            std::string error;
            const auto recs = split_all(s.text, error);
            if (!error.empty()) return error;
            if (recs.size() != 1) return "one instance split into " + std::to_string(recs.size()) + " records";
            Sample again;
            if (!encode(recs[0], again).ok || again.tokens != s.tokens)
                return "the record split out encodes differently";
        }
        return "";
    }

    std::string split_file() {
        // A file holds instances one after another; which separator a format needs is its own
        // business, so a newline and a blank line are both tried.
        for (const char *sep : {"\n", "\n\n"}) {
            std::string text, error;
            for (const auto &s : samples_) text += s.text + (s.text.empty() || s.text.back() != '\n' ? sep : sep + 1);
            const auto recs = split_all(text, error);
            if (!error.empty()) return error;
            if (recs.size() != samples_.size()) continue;
            for (size_t i = 0; i < recs.size(); ++i) {
                Sample again;
                if (!encode(recs[i], again).ok || again.tokens != samples_[i].tokens)
                    return "record " + std::to_string(i + 1) +
                           " of the file encodes differently from the instance alone";
            }
            return "";
        }
        return std::to_string(samples_.size()) +
               " instances joined by newlines or blank lines did not split back into " +
               std::to_string(samples_.size()) + " records";
    }

    std::string split_empty() {
        std::string error;
        for (const std::string &text : {std::string(), std::string("\n\n"), std::string("   \n")}) {
            const auto recs = split_all(text, error);
            if (!error.empty()) return error;
        }
        const auto recs = split_all("", error);
        return recs.empty() ? "" : "empty text gave a record";
    }

    std::string encode_all() {
        for (size_t i = 0; i < samples_.size(); ++i) {
            const Sample &s = samples_[i];
            const std::string at = "instance " + std::to_string(i + 1) + ": ";
            for (int64_t p = 0; p < S(); ++p) {
                if (s.tokens[size_t(p)] < 0 || s.tokens[size_t(p)] >= V())
                    return at + "token " + std::to_string(s.tokens[size_t(p)]) + " at " + std::to_string(p) +
                           " out of the vocabulary";
                const int32_t l = s.labels[size_t(p)];
                if ((l < 0 || l >= V()) && l != spec_.ignore_label_id)
                    return at + "label " + std::to_string(l) + " at " + std::to_string(p) + " out of the vocabulary";
            }
            if (s.puzzle_id < 0 || s.puzzle_id >= spec_.num_puzzle_identifiers)
                return at + "puzzle_id " + std::to_string(s.puzzle_id) + " not below num_puzzle_identifiers";
            Sample again;
            if (!encode(s.text, again).ok || again.tokens != s.tokens || again.labels != s.labels)
                return at + "encode is not deterministic";
            // Without a labels tensor the tokens are the same.
            std::vector<int32_t> tok(static_cast<size_t>(S()));
            const int64_t shape[1] = {S()};
            hrm_tensor t = tensor_view(tok, HRM_DTYPE_I32, shape, 1);
            const hrm_blob in = blob(s.text);
            const Outcome o = take(e_->encode(e_, &in, &t, nullptr, nullptr, nullptr));
            if (!o.ok) return at + "encode without labels, has_labels and puzzle_id failed: " + describe(o);
            if (tok != s.tokens) return at + "encode without a labels tensor gives other tokens";
        }
        return "";
    }

    std::string encode_bad_tensors() {
        const Sample &s = samples_.front();
        const hrm_blob in = blob(s.text);
        std::vector<int32_t> buf(static_cast<size_t>(S()) + 1);
        std::vector<float> fbuf(static_cast<size_t>(S()));
        const int64_t shorter[1] = {S() - 1}, longer[1] = {S() + 1}, two[2] = {1, S()};
        const int64_t exact[1] = {S()};
        struct Case {
            const char *what;
            hrm_tensor t;
        } cases[] = {{"tokens of seq_len - 1", tensor_view(buf, HRM_DTYPE_I32, shorter, 1)},
                     {"tokens of seq_len + 1", tensor_view(buf, HRM_DTYPE_I32, longer, 1)},
                     {"tokens of shape [1, seq_len]", tensor_view(buf, HRM_DTYPE_I32, two, 2)},
                     {"F32 tokens", tensor_view(fbuf, HRM_DTYPE_F32, exact, 1)}};
        for (auto &c : cases)
            if (auto why = must_refuse(take(e_->encode(e_, &in, &c.t, nullptr, nullptr, nullptr)),
                                       std::string("encode with ") + c.what);
                !why.empty())
                return why;
        if (auto why =
                must_refuse(take(e_->encode(e_, &in, nullptr, nullptr, nullptr, nullptr)), "encode with NULL tokens");
            !why.empty())
            return why;
        return must_refuse(take(e_->encode(e_, nullptr, &cases[0].t, nullptr, nullptr, nullptr)),
                           "encode of a NULL instance");
    }

    // Empty, truncated and randomly damaged instances: refused with a message or accepted, but
    // never a crash (a crash ends the child and is reported with this check's name).
    std::string encode_malformed() {
        Sample out;
        if (auto why = must_refuse(encode("", out), "an empty instance"); !why.empty()) return why;
        std::mt19937_64 rng(7);
        int refused = 0, tried = 0;
        for (const auto &s : samples_) {
            std::vector<std::string> bad = {s.text.substr(0, s.text.size() / 2), s.text + s.text,
                                            std::string(s.text.size(), '\xff')};
            for (int k = 0; k < 16; ++k) {
                std::string t = s.text;
                if (t.empty()) break;
                for (int j = 0; j < 3; ++j) t[rng() % t.size()] = char(rng() & 0xff);
                bad.push_back(t);
            }
            for (const auto &b : bad) {
                ++tried;
                const Outcome o = encode(b, out);
                if (!o.ok) {
                    ++refused;
                    if (o.message.empty()) return "a malformed instance was refused without a message";
                } else {
                    for (int32_t tok : out.tokens)
                        if (tok < 0 || tok >= V())
                            return "a damaged instance was accepted with tokens outside the vocabulary";
                }
            }
        }
        r_.pass("malformed instances",
                std::to_string(refused) + " of " + std::to_string(tried) + " refused, none crashed");
        return "";
    }

    // Predictions that give the label: the label where it is scored, the input token elsewhere.
    std::vector<int32_t> label_predictions(const Sample &s) const {
        std::vector<int32_t> p(s.labels);
        for (size_t i = 0; i < p.size(); ++i)
            if (p[i] == spec_.ignore_label_id || p[i] < 0) p[i] = s.tokens[i];
        return p;
    }

    Outcome decode(const Sample &s, std::vector<int32_t> pred, std::string &solution) {
        const int64_t shape[1] = {S()};
        const hrm_tensor t = tensor_view(pred, HRM_DTYPE_I32, shape, 1);
        const hrm_blob in = blob(s.text);
        hrm_blob out{};
        const Outcome o = take(e_->decode(e_, &in, &t, &out));
        solution = o.ok ? take_blob(out) : std::string();
        return o;
    }
    Outcome verify(const Sample &s, const std::string &solution, int32_t &valid, double &score) {
        const hrm_blob in = blob(s.text), sol = blob(solution);
        valid = -1;
        score = -1;
        return take(e_->verify(e_, &in, &sol, &valid, &score));
    }

    std::string label_round_trip() {
        for (size_t i = 0; i < samples_.size(); ++i) {
            const std::string at = "instance " + std::to_string(i + 1) + ": ";
            std::string sol;
            Outcome o = decode(samples_[i], label_predictions(samples_[i]), sol);
            if (!o.ok) return at + "decode of the label failed: " + describe(o);
            int32_t valid;
            double score;
            if (o = verify(samples_[i], sol, valid, score); !o.ok) return at + "verify failed: " + describe(o);
            if (valid != 1) return at + "verify rejected the decoded label";
            if (!(score >= 0 && score <= 1)) return at + "verify score " + std::to_string(score) + " outside 0..1";
            decoded_.push_back(sol);
        }
        return "";
    }

    // The other tokens position p may hold: those the output mask allows, else every token.
    std::vector<int32_t> alternatives(const Sample &s, int64_t p, const std::vector<uint8_t> &mask) const {
        std::vector<int32_t> alt;
        for (int32_t v = 0; v < V(); ++v)
            if (v != s.labels[size_t(p)] && (mask.empty() || mask[size_t(p * V() + v)])) alt.push_back(v);
        return alt;
    }

    std::string corrupted() {
        std::mt19937_64 rng(11);
        int tried = 0;
        for (size_t i = 0; i < samples_.size(); ++i) {
            const Sample &s = samples_[i];
            std::vector<uint8_t> mask;
            if (auto fn = hrm_encoder_output_mask_fn(e_, spec_.caps)) mask = mask_of(fn, s);
            // Positions the model must fill: scored, and with another token allowed there.
            std::vector<int64_t> positions;
            for (int64_t p = 0; p < S(); ++p)
                if (s.labels[size_t(p)] != spec_.ignore_label_id && s.labels[size_t(p)] >= 0 &&
                    s.labels[size_t(p)] != s.tokens[size_t(p)] && !alternatives(s, p, mask).empty())
                    positions.push_back(p);
            std::shuffle(positions.begin(), positions.end(), rng);
            positions.resize(std::min<size_t>(positions.size(), 6));
            for (int64_t p : positions) {
                const auto alt = alternatives(s, p, mask);
                auto pred = label_predictions(s);
                const int32_t was = pred[size_t(p)];
                pred[size_t(p)] = alt[rng() % alt.size()];
                std::string sol;
                ++tried;
                Outcome o = decode(s, pred, sol);
                if (!o.ok) {
                    if (!mask.empty()) return "decode refused tokens its own output mask allows: " + describe(o);
                    continue;  // an unreadable answer is a rejection too
                }
                // Tokens the decoder does not read (ARC's markers outside the cropped grid) may change
                // without changing the answer: that is no corruption.
                if (i < decoded_.size() && sol == decoded_[i]) {
                    --tried;
                    continue;
                }
                int32_t valid;
                double score;
                if (o = verify(s, sol, valid, score); !o.ok)
                    return "verify of a corrupted answer failed (it should reject it): " + describe(o);
                if (valid != 0)
                    return "instance " + std::to_string(i + 1) + ": verify accepted the label with position " +
                           std::to_string(p) + " changed from token " + std::to_string(was) + " to " +
                           std::to_string(pred[size_t(p)]);
            }
        }
        if (!tried) return std::string("no change of one scored token changed the decoded answer: nothing to corrupt");
        r_.pass("corruptions", std::to_string(tried) + " single-token changes of the label, every one rejected");
        return "";
    }

    std::string decode_bad_tensors() {
        const Sample &s = samples_.front();
        std::vector<int32_t> buf(static_cast<size_t>(S()) + 1),
            bad(static_cast<size_t>(S()), static_cast<int32_t>(V()));
        const int64_t shorter[1] = {S() - 1}, exact[1] = {S()};
        const hrm_blob in = blob(s.text);
        hrm_blob out{};
        hrm_tensor t = tensor_view(buf, HRM_DTYPE_I32, shorter, 1);
        if (auto why = must_refuse(take(e_->decode(e_, &in, &t, &out)), "decode of seq_len - 1 predictions");
            !why.empty())
            return why;
        // Out-of-vocabulary predictions: refused, or decoded into something verify then rejects.
        t = tensor_view(bad, HRM_DTYPE_I32, exact, 1);
        const Outcome o = take(e_->decode(e_, &in, &t, &out));
        if (o.ok) {
            const std::string sol = take_blob(out);
            int32_t valid;
            double score;
            if (verify(s, sol, valid, score).ok && valid == 1)
                return "predictions of token V decoded into an accepted solution";
        }
        const std::string garbage = "\x01\x02 not a solution \xff";
        const hrm_blob junk = blob(garbage);
        int32_t valid = -1;
        const Outcome v = take(e_->verify(e_, &in, &junk, &valid, nullptr));
        if (v.ok && valid != 0) return "verify accepted garbage as a solution";
        return "";
    }

    std::vector<uint8_t> mask_of(hrm_encoder_output_mask_slot fn, const Sample &s) {
        std::vector<uint8_t> m(size_t(S() * V()), 0xCD);
        const int64_t shape[2] = {S(), V()};
        hrm_tensor t = tensor_view(m, HRM_DTYPE_U8, shape, 2);
        const hrm_blob in = blob(s.text);
        return take(fn(e_, &in, &t)).ok ? m : std::vector<uint8_t>{};
    }

    std::string output_mask() {
        const auto fn = hrm_encoder_output_mask_fn(e_, spec_.caps);
        for (size_t i = 0; i < samples_.size(); ++i) {
            const Sample &s = samples_[i];
            const auto m = mask_of(fn, s);
            const std::string at = "instance " + std::to_string(i + 1) + ": ";
            if (m.empty()) return at + "output_mask failed";
            for (int64_t p = 0; p < S(); ++p) {
                int allowed = 0;
                for (int64_t v = 0; v < V(); ++v) {
                    const uint8_t b = m[size_t(p * V() + v)];
                    if (b != 0 && b != 1)
                        return at + "mask byte " + std::to_string(b) + " is neither 0 nor 1 (unwritten?)";
                    allowed += b;
                }
                if (!allowed) return at + "position " + std::to_string(p) + " allows no token";
                const int32_t want = label_predictions(s)[size_t(p)];
                if (s.labels[size_t(p)] != spec_.ignore_label_id && !m[size_t(p * V() + want)])
                    return at + "the label's token " + std::to_string(want) + " at " + std::to_string(p) +
                           " is masked out";
            }
        }
        std::vector<uint8_t> small(static_cast<size_t>(S()));
        const int64_t wrong[2] = {S(), 1};
        hrm_tensor t = tensor_view(small, HRM_DTYPE_U8, wrong, 2);
        const hrm_blob in = blob(samples_.front().text);
        return must_refuse(take(fn(e_, &in, &t)), "output_mask into an [S, 1] tensor");
    }

    std::string solve() {
        int unique = 0;
        for (size_t i = 0; i < samples_.size() && i < 8; ++i) {
            const std::string at = "instance " + std::to_string(i + 1) + ": ";
            const hrm_blob in = blob(samples_[i].text);
            hrm_blob out{};
            hrm_solve_stats st{};
            st.struct_size = sizeof st;
            Outcome o = take(e_->solve(e_, &in, &out, &st));
            if (!o.ok) return at + "solve failed: " + describe(o);
            const std::string sol = take_blob(out);
            int32_t valid;
            double score;
            if (o = verify(samples_[i], sol, valid, score); !o.ok || valid != 1)
                return at + "verify rejected the oracle's solution";
            if (st.solutions < 1 || st.solutions > 2)
                return at + "stats.solutions " + std::to_string(st.solutions) + " outside 1..2";
            // One solution only: the instance's own label is it.
            if (st.solutions == 1 && i < decoded_.size()) {
                ++unique;
                if (sol != decoded_[i])
                    return at + "the oracle reports a unique solution that differs from the instance's label";
            }
            hrm_blob out2{};
            if (!take(e_->solve(e_, &in, &out2, nullptr)).ok) return at + "solve with NULL stats failed";
            hrm_free(const_cast<void *>(out2.data));
        }
        r_.pass("solve", std::to_string(unique) + " instance(s) unique, each equal to its label");
        return "";
    }

    std::string augment() {
        const Sample &s = samples_.front();
        std::vector<int32_t> rows(s.tokens);
        rows.insert(rows.end(), s.labels.begin(), s.labels.end());
        const int64_t shape[2] = {2, S()};
        std::vector<uint64_t> ids;
        const int64_t n = spec_.num_augmentations;
        for (uint64_t a = 0; a < uint64_t(n > 0 ? std::min<int64_t>(n, 16) : 9); ++a) ids.push_back(a);
        if (n == 0) ids.push_back(0x9e3779b97f4a7c15ull);
        std::set<std::vector<int32_t>> distinct;
        for (uint64_t a : ids) {
            std::vector<int32_t> fwd(rows.size(), -7), back(rows.size(), -7), again(rows.size(), -7);
            const hrm_tensor src = tensor_view(rows, HRM_DTYPE_I32, shape, 2);
            hrm_tensor dst = tensor_view(fwd, HRM_DTYPE_I32, shape, 2);
            const std::string at = "augmentation " + std::to_string(a) + ": ";
            Outcome o = take(e_->augment(e_, a, 0, &src, &dst));
            if (!o.ok) return at + "failed: " + describe(o);
            for (int32_t v : fwd)
                if ((v < 0 || v >= V()) && v != spec_.ignore_label_id)
                    return at + "wrote a token outside the vocabulary";
            if (a == 0 && fwd != rows) return "augmentation 0 is not the identity";
            hrm_tensor d2 = tensor_view(again, HRM_DTYPE_I32, shape, 2);
            if (!take(e_->augment(e_, a, 0, &src, &d2)).ok || again != fwd) return at + "not deterministic";
            const hrm_tensor fsrc = tensor_view(fwd, HRM_DTYPE_I32, shape, 2);
            hrm_tensor bdst = tensor_view(back, HRM_DTYPE_I32, shape, 2);
            if (o = take(e_->augment(e_, a, 1, &fsrc, &bdst)); !o.ok) return at + "inverse failed: " + describe(o);
            if (back != rows) return at + "inverse does not give the original rows";
            distinct.insert(fwd);
        }
        std::vector<int32_t> small(static_cast<size_t>(S()));
        const int64_t wrong[2] = {1, S()};
        const hrm_tensor src = tensor_view(rows, HRM_DTYPE_I32, shape, 2);
        hrm_tensor dst = tensor_view(small, HRM_DTYPE_I32, wrong, 2);
        if (auto why =
                must_refuse(take(e_->augment(e_, 1, 0, &src, &dst)), "augment into a destination of another shape");
            !why.empty())
            return why;
        r_.pass("augment ids", std::to_string(distinct.size()) + " distinct results over " +
                                   std::to_string(ids.size()) + " ids (a symmetric puzzle may repeat)");
        return "";
    }

    std::string render() {
        const Sample &s = samples_.front();
        const hrm_blob in = blob(s.text);
        const std::string sol = decoded_.empty() ? std::string() : decoded_.front();
        const hrm_blob sb = blob(sol);
        for (hrm_render_format f : {HRM_RENDER_TEXT, HRM_RENDER_ANSI, HRM_RENDER_SVG})
            for (const hrm_blob *solution : {static_cast<const hrm_blob *>(nullptr), &sb}) {
                hrm_blob out{};
                const Outcome o = take(e_->render(e_, &in, solution, f, &out));
                const std::string what = "render format " + std::to_string(f) + (solution ? " with the solution" : "");
                if (!o.ok) return what + " failed: " + describe(o);
                const std::string pic = take_blob(out);
                if (pic.empty()) return what + " is empty";
                if (f == HRM_RENDER_SVG && pic.find("<svg") == std::string::npos) return what + " has no <svg element";
            }
        hrm_blob out{};
        return must_refuse(take(e_->render(e_, &in, nullptr, hrm_render_format(99), &out)), "render format 99");
    }

    // encode, decode and verify are [thread-safe]: four threads at once give the serial results.
    std::string threads() {
        std::vector<std::string> serial(samples_.size());
        auto work = [&](size_t i) {
            Sample s;
            if (!encode(samples_[i].text, s).ok) return std::string("encode failed");
            std::string sol;
            if (!decode(s, label_predictions(s), sol).ok) return std::string("decode failed");
            int32_t valid;
            double score;
            if (!verify(s, sol, valid, score).ok) return std::string("verify failed");
            std::ostringstream o;
            for (int32_t t : s.tokens) o << t << ',';
            o << '|' << sol << '|' << valid << '|' << score;
            return o.str();
        };
        for (size_t i = 0; i < samples_.size(); ++i) serial[i] = work(i);
        std::vector<std::string> why(4);
        std::vector<std::thread> pool;
        for (size_t t = 0; t < 4; ++t)
            pool.emplace_back([&, t] {
                for (int rep = 0; rep < 3 && why[t].empty(); ++rep)
                    for (size_t k = 0; k < samples_.size(); ++k) {
                        const size_t i = (k + t * 5) % samples_.size();
                        if (work(i) != serial[i]) {
                            why[t] = "instance " + std::to_string(i + 1) + " gave another result on thread " +
                                     std::to_string(t);
                            break;
                        }
                    }
            });
        for (auto &th : pool) th.join();
        for (const auto &w : why)
            if (!w.empty()) return w;
        return "";
    }

    const hrm_encoder *e_;
    Report &r_;
    const Options &opt_;
    hrm_encoder_spec spec_{};
    std::vector<Sample> samples_;
    std::vector<std::string> decoded_;  // the label of samples_[i], decoded
};

// ---- Policies ----------------------------------------------------------------------------------

void check_policy(const hrm_policy *p, const hrm_descriptor *listed, Report &r) {
    r.run("descriptor", [&] { return check_descriptor(p->desc, listed); });
    r.run("vtable", [&]() -> std::string {
        if (auto why = check_table(p->struct_size, p->api_version, offsetof(hrm_policy, destroy) + sizeof p->destroy);
            !why.empty())
            return why;
        if (!p->get_spec || !p->state_create || !p->state_free || !p->decide || !p->destroy)
            return "a required slot is NULL";
        return "";
    });
    if (!p->get_spec || !p->state_create || !p->state_free || !p->decide) return;
    hrm_policy_spec sp{};
    r.run("spec", [&]() -> std::string {
        sp.struct_size = sizeof sp;
        const Outcome o = take(p->get_spec(p, &sp));
        if (!o.ok) return "get_spec failed: " + describe(o);
        if (sp.min_segments < 1) return "min_segments < 1";
        if (sp.max_segments < sp.min_segments) return "max_segments < min_segments";
        if (sp.n_starts < 1) return "n_starts < 1";
        if (!(sp.start_noise >= 0)) return "start_noise negative or NaN";
        if ((sp.n_starts > 1) != (p->choose != nullptr)) return "choose must be present exactly when n_starts > 1";
        return "";
    });
    r.run("spec honours the caller's struct_size", [&] {
        return check_spec_sizes<hrm_policy_spec>([&](hrm_policy_spec *o) { return p->get_spec(p, o); },
                                                 offsetof(hrm_policy_spec, max_segments));
    });
    r.run("state_create refuses a negative slot count", [&] {
        hrm_policy_state *st = nullptr;
        const Outcome o = take(p->state_create(p, -1, &st));
        if (o.ok) p->state_free(p, st);
        return must_refuse(o, "state_create(-1)");
    });
    r.run("decide over segments 1..max_segments", [&]() -> std::string {
        const int64_t n = 8;
        hrm_policy_state *st = nullptr;
        Outcome o = take(p->state_create(p, n, &st));
        if (!o.ok) return "state_create(8) failed: " + describe(o);
        std::string why;
        std::vector<uint8_t> halted(size_t(n), 0);
        for (int32_t seg = 1; seg <= std::max(sp.max_segments, 1) && why.empty(); ++seg) {
            std::vector<hrm_policy_row> rows(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i) {
                hrm_policy_row &row = rows[size_t(i)];
                row.struct_size = sizeof row;
                row.segment = seg;
                row.slot = i;
                row.start = int32_t(i % sp.n_starts);
                row.verified = (seg == 3 && i % 2) ? 1 : 0;
                row.q_halt = float(i) - 4.0f;
                row.prediction_hash = uint64_t(i % 3 + (seg > 2 ? 0 : seg));
            }
            std::vector<uint8_t> halt(size_t(n), 7);
            o = take(p->decide(p, st, n, rows.data(), sizeof(hrm_policy_row), halt.data()));
            if (!o.ok) why = "decide failed at segment " + std::to_string(seg) + ": " + describe(o);
            for (int64_t i = 0; i < n && why.empty(); ++i) {
                if (halt[size_t(i)] > 1) why = "decide left halt[" + std::to_string(i) + "] unwritten";
                if (halt[size_t(i)] && seg < sp.min_segments) why = "halted before min_segments";
            }
            // A larger row (a newer scheduler) is read through hrm_policy_row_get: must still work.
            std::vector<unsigned char> big(size_t(n) * (sizeof(hrm_policy_row) + 16), 0);
            for (int64_t i = 0; i < n; ++i)
                std::memcpy(&big[size_t(i) * (sizeof(hrm_policy_row) + 16)], &rows[size_t(i)], sizeof(hrm_policy_row));
            if (why.empty() && !take(p->decide(p, st, n, reinterpret_cast<const hrm_policy_row *>(big.data()),
                                               sizeof(hrm_policy_row) + 16, halt.data()))
                                    .ok)
                why = "decide refused rows larger than its header's (row_size grows append-only)";
        }
        if (why.empty() && !take(p->decide(p, st, 0, nullptr, sizeof(hrm_policy_row), nullptr)).ok)
            why = "decide of 0 rows failed";
        p->state_free(p, st);
        p->state_free(p, nullptr);
        return why;
    });
    if (p->choose)
        r.run("choose picks a candidate", [&]() -> std::string {
            std::vector<hrm_policy_row> c(size_t(sp.n_starts));
            for (int32_t i = 0; i < sp.n_starts; ++i) {
                c[size_t(i)].struct_size = sizeof(hrm_policy_row);
                c[size_t(i)].segment = 1 + i;
                c[size_t(i)].start = i;
                c[size_t(i)].verified = i == sp.n_starts - 1;
                c[size_t(i)].q_halt = float(i);
            }
            int64_t chosen = -1;
            const Outcome o = take(p->choose(p, int64_t(c.size()), c.data(), sizeof(hrm_policy_row), &chosen));
            if (!o.ok) return "choose failed: " + describe(o);
            if (chosen < 0 || chosen >= int64_t(c.size()))
                return "chose " + std::to_string(chosen) + ", not a candidate";
            return "";
        });
}

// ---- Models ------------------------------------------------------------------------------------

void check_model(const hrm_model *m, const hrm_descriptor *listed, Report &r) {
    r.run("descriptor", [&] { return check_descriptor(m->desc, listed); });
    r.run("vtable", [&]() -> std::string {
        if (auto why = check_table(m->struct_size, m->api_version, offsetof(hrm_model, destroy) + sizeof m->destroy);
            !why.empty())
            return why;
        for (const void *slot :
             {(const void *)m->get_spec, (const void *)m->state_create, (const void *)m->state_free,
              (const void *)m->reset, (const void *)m->set_inputs, (const void *)m->update, (const void *)m->readout,
              (const void *)m->param_count, (const void *)m->param_get, (const void *)m->destroy})
            if (!slot) return "a required slot is NULL";
        return "";
    });
    hrm_model_spec sp{};
    r.run("spec", [&]() -> std::string {
        sp.struct_size = sizeof sp;
        const Outcome o = take(m->get_spec(m, &sp));
        if (!o.ok) return "get_spec failed: " + describe(o);
        if (sp.seq_len <= 0 || sp.vocab_size <= 1 || sp.hidden_size <= 0)
            return "seq_len, vocab_size or hidden_size not positive";
        if (sp.h_cycles < 1 || sp.l_cycles < 0 || sp.halt_max_steps < 1)
            return "h_cycles or halt_max_steps < 1, or l_cycles < 0";
        if (sp.num_puzzle_identifiers < 1 || sp.n_params < 1 || !(sp.flops_per_segment > 0))
            return "identifiers, parameters or FLOPs not positive";
        if (!sp.config) return "config is NULL";
        return "";
    });
    if (sp.seq_len <= 0 || sp.vocab_size <= 1) return;
    r.run("spec honours the caller's struct_size", [&] {
        return check_spec_sizes<hrm_model_spec>([&](hrm_model_spec *o) { return m->get_spec(m, o); },
                                                offsetof(hrm_model_spec, hidden_size));
    });
    r.run("parameters", [&]() -> std::string {
        const int64_t n = m->param_count(m);
        if (n < 1) return "param_count < 1";
        for (int64_t i = 0; i < n; ++i) {
            hrm_param prm{};
            prm.struct_size = sizeof prm;
            const Outcome o = take(m->param_get(m, i, &prm));
            if (!o.ok) return "param_get(" + std::to_string(i) + ") failed: " + describe(o);
        }
        hrm_param prm{};
        prm.struct_size = sizeof prm;
        return must_refuse(take(m->param_get(m, n, &prm)), "param_get(param_count)");
    });
    const int64_t S = sp.seq_len, V = sp.vocab_size, B = 3;
    // One segment from the initial carry on B rows; logits and q of every row.
    auto segment = [&](int64_t rows, const std::vector<int32_t> &tokens, std::vector<float> &logits,
                       std::vector<float> &q) -> std::string {
        hrm_state *st = nullptr;
        Outcome o = take(m->state_create(m, rows, sp.default_precision, &st));
        if (!o.ok) return "state_create failed: " + describe(o);
        std::vector<int32_t> tok(tokens);
        const int64_t tshape[2] = {rows, S}, lshape[3] = {rows, S, V}, qshape[2] = {rows, 2};
        const hrm_tensor t = tensor_view(tok, HRM_DTYPE_I32, tshape, 2);
        logits.assign(size_t(rows * S * V), NAN);
        q.assign(size_t(rows * 2), NAN);
        hrm_tensor l = tensor_view(logits, HRM_DTYPE_F32, lshape, 3), qt = tensor_view(q, HRM_DTYPE_F32, qshape, 2);
        std::string why;
        if (!(o = take(m->reset(m, st, nullptr, nullptr))).ok)
            why = "reset failed: " + describe(o);
        else if (!(o = take(m->set_inputs(m, st, nullptr, &t, nullptr))).ok)
            why = "set_inputs failed: " + describe(o);
        if (why.empty() && !(o = take(hrm_model_run_segment(m, st, sp.h_cycles, sp.l_cycles))).ok)
            why = "update failed: " + describe(o);
        if (why.empty() && !(o = take(m->readout(m, st, &l, nullptr, &qt))).ok) why = "readout failed: " + describe(o);
        m->state_free(m, st);
        return why;
    };
    std::vector<int32_t> tokens(size_t(B * S));
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = int32_t((i * 7 + i / size_t(S)) % size_t(V));
    r.run("one segment: finite, deterministic, rows independent of their batch", [&]() -> std::string {
        std::vector<float> l1, q1, l2, q2, l3, q3;
        if (auto why = segment(B, tokens, l1, q1); !why.empty()) return why;
        for (float v : l1)
            if (!std::isfinite(v)) return "logits not finite";
        if (auto why = segment(B, tokens, l2, q2); !why.empty()) return why;
        if (l1 != l2 || q1 != q2) return "two fresh states gave different logits";
        const std::vector<int32_t> last(tokens.end() - S, tokens.end());
        if (auto why = segment(1, last, l3, q3); !why.empty()) return why;
        double d = 0, scale = 1;
        for (size_t i = 0; i < l3.size(); ++i) {
            scale = std::max(scale, double(std::fabs(l3[i])));
            d = std::max(d, double(std::fabs(l3[i] - l1[size_t((B - 1) * S * V) + i])));
        }
        if (d > 2e-2 * scale) return "a row alone differs from the same row in a batch by " + std::to_string(d);
        return "";
    });
    r.run("bad inputs refused", [&]() -> std::string {
        hrm_state *st = nullptr;
        if (const Outcome o = take(m->state_create(m, -1, sp.default_precision, &st)); o.ok) {
            m->state_free(m, st);
            return "state_create(-1 rows) was accepted";
        }
        if (!take(m->state_create(m, 1, sp.default_precision, &st)).ok) return "state_create(1) failed";
        std::vector<int32_t> tok(static_cast<size_t>(S), static_cast<int32_t>(V));
        const int64_t shape[2] = {1, S}, wrong[2] = {1, S + 1};
        hrm_tensor t = tensor_view(tok, HRM_DTYPE_I32, shape, 2);
        std::string why = must_refuse(take(m->set_inputs(m, st, nullptr, &t, nullptr)), "a token equal to vocab_size");
        std::vector<int32_t> longer(size_t(S) + 1, 0);
        t = tensor_view(longer, HRM_DTYPE_I32, wrong, 2);
        if (why.empty()) why = must_refuse(take(m->set_inputs(m, st, nullptr, &t, nullptr)), "tokens of seq_len + 1");
        if (why.empty()) why = must_refuse(take(m->update(m, st, hrm_level(42))), "update of level 42");
        m->state_free(m, st);
        m->state_free(m, nullptr);
        return why;
    });
}

// ---- Driving one class -------------------------------------------------------------------------

const char *kind_name(hrm_kind k) {
    return k == HRM_KIND_MODEL ? "model" : k == HRM_KIND_ENCODER ? "task" : k == HRM_KIND_POLICY ? "policy" : "?";
}

int check_class(hrm::Runtime &runtime, const hrm_descriptor *d, const Options &opt) {
    Report r;
    hrm::Instance instance(nullptr);
    const std::string &config = d->kind == HRM_KIND_ENCODER  ? opt.task_config
                                : d->kind == HRM_KIND_POLICY ? opt.policy_config
                                                             : opt.model_config;
    r.run(config.empty() ? "create with default options" : "create with the given config", [&]() -> std::string {
        hrm_instance_params p;
        hrm_instance_params_init(&p, sizeof p);
        p.config = config.c_str();
        hrm_instance *out = nullptr;
        const Outcome o = take(hrm_instance_create(runtime.get(), d->kind, d->id, &p, &out));
        if (!o.ok) return "hrm_instance_create failed: " + describe(o);
        instance = hrm::Instance(out);
        return "";
    });
    r.run("create refuses an unknown config key", [&]() -> std::string {
        hrm_instance_params p;
        hrm_instance_params_init(&p, sizeof p);
        p.config = "no_such_option_of_any_plugin = 1\n";
        hrm_instance *out = nullptr;
        const Outcome o = take(hrm_instance_create(runtime.get(), d->kind, d->id, &p, &out));
        hrm_instance_free(o.ok ? out : nullptr);
        return must_refuse(o, "an unknown key in the instance config");
    });
    if (instance.get()) {
        switch (d->kind) {
            case HRM_KIND_ENCODER:
                TaskCheck(instance.encoder(), r, opt).run(d);
                break;
            case HRM_KIND_POLICY:
                check_policy(instance.policy(), d, r);
                break;
            case HRM_KIND_MODEL:
                check_model(instance.model(), d, r);
                break;
            default:
                r.fail("kind", "unknown kind " + std::to_string(d->kind));
        }
    }
    std::cout << "  -- " << r.passes << " passed, " << r.fails << " failed, " << r.skips << " skipped\n" << std::flush;
    return r.fails;
}

// Runs check_class in a child process: a crash there is reported with the check it happened in.
int check_isolated(hrm::Runtime &runtime, const hrm_descriptor *d, const Options &opt) {
    std::cout << kind_name(d->kind) << " " << d->name << " (" << d->id << " " << d->version << ")\n" << std::flush;
    void *mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return check_class(runtime, d, opt);
    g_shared = new (mem) Shared{};
    std::cout.flush();
    const pid_t pid = fork();
    if (pid == 0) {
        const int fails = check_class(runtime, d, opt);
        std::cout.flush();
        g_shared->finished = true;
        _exit(fails ? 1 : 0);
    }
    int status = 0, fails = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        std::cout << "  (could not fork: checking in this process)\n";
        fails = check_class(runtime, d, opt);
    } else if (WIFSIGNALED(status)) {
        std::cout << "  FAIL  " << g_shared->check << ": the plugin crashed (signal " << WTERMSIG(status) << ", "
                  << strsignal(WTERMSIG(status)) << ")\n";
        fails = g_shared->fails + 1;
    } else if (!g_shared->finished) {
        // The plugin ended the process itself: exit(), abort handlers, a sanitizer's report.
        std::cout << "  FAIL  " << g_shared->check << ": the plugin ended the process (exit status "
                  << WEXITSTATUS(status) << ")\n";
        fails = g_shared->fails + 1;
    } else {
        fails = WEXITSTATUS(status) ? std::max(1, g_shared->fails) : 0;
    }
    munmap(mem, sizeof(Shared));
    g_shared = nullptr;
    return fails;
}

}  // namespace

int cmd_check_plugin(int argc, char **argv) {
    CommonOptions common;
    std::string target;
    Options opt;
    po::options_description opts("hrm check-plugin options");
    opts.add_options()("plugin", po::value(&target)->required(),
                       "plugin library path (*.so), plugin id, or a class id or name")(
        "instances", po::value(&opt.instance_files)->composing(),
        "file of solved instances in the task's format (repeatable; tasks that cannot generate need one)")(
        "count", po::value(&opt.count)->default_value(16), "instances to check per task (generated or read)")(
        "generate-options", po::value(&opt.generate_options), "TOML text passed to the task's generate slot");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("plugin", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm check-plugin NAME|PATH [--instances FILE] [--set task.KEY=VALUE]", opts,
                            pos, vm);
        rc >= 0)
        return rc;
    const Config config = load_config(common);
    opt.task_config = config.section_text("task");
    opt.policy_config = config.section_text("policy");
    opt.model_config = config.section_text("model");
    if (opt.count < 1 || opt.count > 100000) {
        std::cerr << "hrm check-plugin: --count must be in 1..100000\n";
        return 2;
    }

    // A path loads that one library (and reports a refused load, the first thing an author meets);
    // a name is looked up on the search path.
    const bool is_path = target.find('/') != std::string::npos || std::filesystem::path(target).extension() == ".so";
    std::optional<hrm::Runtime> runtime;
    if (is_path) {
        hrm_runtime_params p;
        hrm_runtime_params_init(&p, sizeof p);
        runtime.emplace(&p);
        const Outcome o = take(hrm_runtime_load_plugin(runtime->get(), target.c_str()));
        std::cout << "library " << target << "\n";
        if (!o.ok) {
            std::cout << "  FAIL  load: " << describe(o) << "\n";
            return 1;
        }
        std::cout << "  PASS  load (entry symbol, ABI negotiation, init)\n";
    } else {
        runtime.emplace(open_runtime(common));
    }
    const auto plugins = runtime->plugins();
    std::vector<const hrm_descriptor *> chosen;
    for (const auto &c : runtime->classes()) {
        const bool in_plugin = c.plugin_index >= 0 && size_t(c.plugin_index) < plugins.size() &&
                               plugins[size_t(c.plugin_index)].id == target;
        if (is_path || in_plugin || target == c.descriptor->id || target == c.descriptor->name)
            chosen.push_back(c.descriptor);
    }
    if (chosen.empty()) {
        std::cerr << "hrm check-plugin: no plugin or class named '" << target << "' (see hrm plugins)\n";
        return is_path ? 1 : 2;
    }
    int failed_classes = 0;
    for (const hrm_descriptor *d : chosen) failed_classes += check_isolated(*runtime, d, opt) ? 1 : 0;
    std::cout << (failed_classes ? "FAILED: " : "OK: ") << chosen.size() - size_t(failed_classes) << " of "
              << chosen.size() << " class(es) passed every check\n";
    return failed_classes ? 1 : 0;
}
