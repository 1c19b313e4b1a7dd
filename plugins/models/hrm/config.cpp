#include "config.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

#include <toml++/toml.h>

#include "hrm/hrm_plugin.hpp"

namespace hrm::models::hrm_model {

using hrm::plugin::Error;

int64_t Config::intermediate_size() const {
    const double x = expansion * double(hidden_size) * 2.0 / 3.0;
    const int64_t r = int64_t(std::nearbyint(x));   // default rounding mode: half to even, like Python round()
    return (r + 255) / 256 * 256;
}

int64_t Config::n_params() const {
    const int64_t D = hidden_size, I = intermediate_size();
    const int64_t per_block = D * 3 * D + D * D + D * 2 * I + I * D;   // qkv, o, gate_up, down (MHA: 3·H·Dh = 3·D)
    int64_t n = (h_layers + l_layers) * per_block;
    n += 2 * vocab_size * D;                                          // embed_tokens + lm_head
    n += 2 * D + 2;                                                   // q_head weight + bias
    if (learned_positions()) n += total_len() * D;                    // embed_pos
    return n;
}

double Config::flops_per_segment() const {
    const double D = double(hidden_size), I = double(intermediate_size()), L = double(total_len());
    const double linear_per_token = 2.0 * (D * 3 * D + D * D + D * 2 * I + I * D);
    const double attn = 4.0 * L * L * D;   // q·kᵀ and p·v
    const double block = linear_per_token * L + attn;
    const double calls_l = double(h_cycles * l_cycles), calls_h = double(h_cycles);
    const double heads = 2.0 * D * double(vocab_size) * double(seq_len) + 2.0 * D * 2.0;
    return block * (calls_l * double(l_layers) + calls_h * double(h_layers)) + heads;
}

static std::string fmt_double(double v) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);   // shortest round-trip
    std::string s(buf, r.ptr);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

std::string Config::to_toml() const {
    std::ostringstream o;
    o << "[model]\n"
      << "arch = \"" << arch << "\"\n"
      << "hidden_size = " << hidden_size << "\n"
      << "num_heads = " << num_heads << "\n"
      << "expansion = " << fmt_double(expansion) << "\n"
      << "h_layers = " << h_layers << "\n"
      << "l_layers = " << l_layers << "\n"
      << "h_cycles = " << h_cycles << "\n"
      << "l_cycles = " << l_cycles << "\n"
      << "pos_encodings = \"" << pos_encodings << "\"\n"
      << "rope_theta = " << fmt_double(rope_theta) << "\n"
      << "rms_norm_eps = " << fmt_double(rms_norm_eps) << "\n"
      << "puzzle_emb_ndim = " << puzzle_emb_ndim << "\n"
      << "halt_max_steps = " << halt_max_steps << "\n"
      << "halt_exploration_prob = " << fmt_double(halt_exploration_prob) << "\n"
      << "vocab_size = " << vocab_size << "\n"
      << "seq_len = " << seq_len << "\n"
      << "num_puzzle_identifiers = " << num_puzzle_identifiers << "\n";
    return o.str();
}

namespace {

std::string where(const std::string &source, const toml::node &n, const std::string &key) {
    const auto &b = n.source().begin;
    return source + ":" + std::to_string(b.line) + ": key '" + key + "'";
}

void get_int(const toml::table &t, const std::string &source, const char *key, int64_t &out) {
    const toml::node *n = t.get(key);
    if (!n) return;
    if (!n->is_integer()) throw Error(HRM_E_FORMAT, where(source, *n, key) + " must be an integer");
    out = n->as_integer()->get();
}

void get_float(const toml::table &t, const std::string &source, const char *key, double &out) {
    const toml::node *n = t.get(key);
    if (!n) return;
    if (n->is_integer()) out = double(n->as_integer()->get());   // "expansion = 4" is fine
    else if (n->is_floating_point()) out = n->as_floating_point()->get();
    else throw Error(HRM_E_FORMAT, where(source, *n, key) + " must be a number");
}

void get_string(const toml::table &t, const std::string &source, const char *key, std::string &out) {
    const toml::node *n = t.get(key);
    if (!n) return;
    if (!n->is_string()) throw Error(HRM_E_FORMAT, where(source, *n, key) + " must be a string");
    out = n->as_string()->get();
}

template <class Bad>
void check_ranges(const Config &c, Bad &&bad) {
    if (c.arch != "hrm") bad("arch", "must be \"hrm\", got \"" + c.arch + "\"");
    if (c.hidden_size <= 0 || c.hidden_size > 65536) bad("hidden_size", "must be in 1..65536");
    if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0) bad("num_heads", "must be positive and divide hidden_size");
    if (c.head_dim() % 2 != 0) bad("num_heads", "must leave an even head_dim (hidden_size / num_heads) for RoPE");
    if (!(c.expansion > 0.0) || c.expansion > 64.0) bad("expansion", "must be in (0, 64]");
    if (c.h_layers < 1 || c.h_layers > 64) bad("h_layers", "must be in 1..64");
    if (c.l_layers < 1 || c.l_layers > 64) bad("l_layers", "must be in 1..64");
    if (c.h_cycles < 1 || c.h_cycles > 1024) bad("h_cycles", "must be in 1..1024");
    if (c.l_cycles < 1 || c.l_cycles > 1024) bad("l_cycles", "must be in 1..1024");
    if (c.pos_encodings != "rope" && c.pos_encodings != "learned")
        bad("pos_encodings", "must be \"rope\" or \"learned\", got \"" + c.pos_encodings + "\"");
    if (!(c.rope_theta > 0.0)) bad("rope_theta", "must be positive");
    if (!(c.rms_norm_eps > 0.0) || c.rms_norm_eps > 1.0) bad("rms_norm_eps", "must be in (0, 1]");
    if (c.puzzle_emb_ndim < 0) bad("puzzle_emb_ndim", "must be >= 0");
    if (c.halt_max_steps < 1) bad("halt_max_steps", "must be >= 1");
    if (!(c.halt_exploration_prob >= 0.0 && c.halt_exploration_prob <= 1.0)) bad("halt_exploration_prob", "must be in [0, 1]");
    if (c.vocab_size < 1 || c.vocab_size > (int64_t(1) << 24)) bad("vocab_size", "must be in 1..2^24");
    if (c.seq_len < 1 || c.seq_len > (int64_t(1) << 20)) bad("seq_len", "must be in 1..2^20");
    if (c.num_puzzle_identifiers < 1) bad("num_puzzle_identifiers", "must be >= 1");
}

}  // namespace

Config parse_config(const std::string &text, const std::string &source) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error &e) {
        const auto &b = e.source().begin;
        throw Error(HRM_E_FORMAT, source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                                      ": TOML syntax error: " + std::string(e.description()));
    }
    // Keys live in [model]; a bare list of keys (no [model] table) is accepted too.
    const toml::table *m = &root;
    if (const toml::node *n = root.get("model")) {
        if (!n->is_table()) throw Error(HRM_E_FORMAT, where(source, *n, "model") + " must be a table");
        m = n->as_table();
        // Other tables belong to other components of a merged config; loose keys are mistakes.
        for (const auto &[k, v] : root)
            if (k.str() != "model" && !v.is_table())
                throw Error(HRM_E_FORMAT, where(source, v, std::string(k.str())) + " is outside the [model] table");
    }
    static const char *known[] = {"arch", "hidden_size", "num_heads", "expansion", "h_layers", "l_layers",
                                  "h_cycles", "l_cycles", "pos_encodings", "rope_theta", "rms_norm_eps",
                                  "puzzle_emb_ndim", "halt_max_steps", "halt_exploration_prob", "vocab_size",
                                  "seq_len", "num_puzzle_identifiers"};
    for (const auto &[k, v] : *m) {
        bool ok = false;
        for (const char *name : known) ok = ok || k.str() == name;
        if (!ok) throw Error(HRM_E_FORMAT, where(source, v, std::string(k.str())) + " is not a known [model] key");
    }
    Config c;
    get_string(*m, source, "arch", c.arch);
    get_int(*m, source, "hidden_size", c.hidden_size);
    get_int(*m, source, "num_heads", c.num_heads);
    get_float(*m, source, "expansion", c.expansion);
    get_int(*m, source, "h_layers", c.h_layers);
    get_int(*m, source, "l_layers", c.l_layers);
    get_int(*m, source, "h_cycles", c.h_cycles);
    get_int(*m, source, "l_cycles", c.l_cycles);
    get_string(*m, source, "pos_encodings", c.pos_encodings);
    get_float(*m, source, "rope_theta", c.rope_theta);
    get_float(*m, source, "rms_norm_eps", c.rms_norm_eps);
    get_int(*m, source, "puzzle_emb_ndim", c.puzzle_emb_ndim);
    get_int(*m, source, "halt_max_steps", c.halt_max_steps);
    get_float(*m, source, "halt_exploration_prob", c.halt_exploration_prob);
    get_int(*m, source, "vocab_size", c.vocab_size);
    get_int(*m, source, "seq_len", c.seq_len);
    get_int(*m, source, "num_puzzle_identifiers", c.num_puzzle_identifiers);

    // Range errors also name the line of the offending key.
    check_ranges(c, [&](const char *key, const std::string &why) {
        const toml::node *n = m->get(key);
        const std::string at = n ? where(source, *n, key) : source + ": key '" + key + "'";
        throw Error(HRM_E_INVALID_ARG, at + " " + why);
    });
    return c;
}

void validate(const Config &c, const std::string &source) {
    check_ranges(c, [&](const char *key, const std::string &why) {
        throw Error(HRM_E_INVALID_ARG, source + ": key '" + key + "' " + why);
    });
}

}  // namespace hrm::models::hrm_model
