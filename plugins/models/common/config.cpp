#include "config.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

#include <toml++/toml.h>

#include "hrm/hrm_plugin.hpp"

namespace hrm::models::core {

using hrm::plugin::Error;

namespace {

constexpr unsigned kHrm = 1, kTrm = 2, kTransformer = 4, kAll = 7;

// Every [model] key in canonical order, with the archs that have it.
struct Key {
    const char *name;
    unsigned archs;
};
constexpr Key kKeys[] = {
    {"arch", kAll},           {"hidden_size", kAll},        {"num_heads", kAll},
    {"expansion", kAll},      {"h_layers", kHrm},           {"l_layers", kHrm},
    {"layers", kTrm | kTransformer},                        {"h_cycles", kHrm | kTrm},
    {"l_cycles", kHrm | kTrm}, {"mlp_t", kTrm},             {"pos_encodings", kAll},
    {"rope_theta", kAll},     {"rms_norm_eps", kAll},       {"puzzle_emb_ndim", kAll},
    {"puzzle_emb_len", kTrm}, {"halt_max_steps", kAll},     {"halt_exploration_prob", kAll},
    {"no_act_continue", kTrm}, {"vocab_size", kAll},        {"seq_len", kAll},
    {"num_puzzle_identifiers", kAll}};

unsigned arch_bit(Arch a) { return a == Arch::Hrm ? kHrm : a == Arch::Trm ? kTrm : kTransformer; }

}  // namespace

Config Config::defaults(const std::string &arch) {
    Config c;   // the HRM reference (hrm_v1.yaml)
    c.arch = arch;
    if (arch == "trm") {   // trm.yaml: one 2-layer network, T = 3, n = 6, 16 prefix positions
        c.layers = 2;
        c.h_cycles = 3;
        c.l_cycles = 6;
        c.puzzle_emb_len = 16;
        c.no_act_continue = true;
    } else if (arch == "transformer") {   // HRM's 4 + 4 blocks as one stack, one pass per segment
        c.layers = 8;
        c.h_cycles = 1;
        c.l_cycles = 0;
    }
    return c;
}

Arch Config::kind() const {
    if (arch == "trm") return Arch::Trm;
    if (arch == "transformer") return Arch::Transformer;
    return Arch::Hrm;
}

int64_t Config::prefix_len() const {
    if (puzzle_emb_ndim <= 0) return 0;
    return puzzle_emb_len > 0 ? puzzle_emb_len : (puzzle_emb_ndim + hidden_size - 1) / hidden_size;
}

int64_t Config::swiglu_size(int64_t h) const {
    const double x = expansion * double(h) * 2.0 / 3.0;
    const int64_t r = int64_t(std::nearbyint(x));   // default rounding mode: half to even, like Python round()
    return (r + 255) / 256 * 256;
}

std::vector<NetSpec> Config::nets() const {
    switch (kind()) {
    case Arch::Hrm: return {{"H_level", h_layers}, {"L_level", l_layers}};
    case Arch::Trm: return {{"L_level", layers}};   // the reference's single network is L_level
    case Arch::Transformer: return {{"net", layers}};
    }
    return {};
}

int Config::net_of(hrm_level level) const {
    switch (kind()) {
    case Arch::Hrm: return level == HRM_LEVEL_H ? 0 : level == HRM_LEVEL_L ? 1 : -1;
    case Arch::Trm: return level == HRM_LEVEL_H || level == HRM_LEVEL_L ? 0 : -1;
    case Arch::Transformer: return level == HRM_LEVEL_H ? 0 : -1;
    }
    return -1;
}

int64_t Config::grad_updates() const {
    switch (kind()) {
    case Arch::Hrm: return 2;
    case Arch::Trm: return l_cycles + 1;
    case Arch::Transformer: return 1;
    }
    return 1;
}

int64_t Config::n_params() const {
    const int64_t D = hidden_size, I = intermediate_size(), L = total_len();
    // Token mixer: attention (qkv, o; MHA: 3·H·Dh = 3·D) or the sequence SwiGLU (gate_up, down over L).
    const int64_t mixer = mlp_t ? 3 * L * mlp_t_size() : D * 3 * D + D * D;
    const int64_t per_block = mixer + D * 2 * I + I * D;   // + channel SwiGLU (gate_up, down)
    int64_t n = 0;
    for (const NetSpec &net : nets()) n += net.layers * per_block;
    n += 2 * vocab_size * D;                            // embed_tokens + lm_head
    n += 2 * D + 2;                                     // q_head weight + bias
    if (learned_positions()) n += L * D;                // embed_pos
    return n;
}

double Config::flops_per_segment() const {
    const double D = double(hidden_size), I = double(intermediate_size()), L = double(total_len());
    const double mixer = mlp_t ? 2.0 * 3.0 * L * double(mlp_t_size()) * D : 2.0 * (D * 3 * D + D * D) * L + 4.0 * L * L * D;
    const double block = mixer + 2.0 * (D * 2 * I + I * D) * L;   // attention: q·kᵀ and p·v = 4·L²·D
    const auto net_layers = [&](hrm_level level) {
        const int n = net_of(level);
        return n < 0 ? 0.0 : double(nets()[size_t(n)].layers);
    };
    const double calls_l = double(h_cycles * l_cycles), calls_h = double(h_cycles);
    const double heads = 2.0 * D * double(vocab_size) * double(seq_len) + 2.0 * D * 2.0;
    return block * (calls_l * net_layers(HRM_LEVEL_L) + calls_h * net_layers(HRM_LEVEL_H)) + heads;
}

static std::string fmt_double(double v) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);   // shortest round-trip
    std::string s(buf, r.ptr);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

std::string Config::to_toml() const {
    const unsigned bit = arch_bit(kind());
    std::ostringstream o;
    o << "[model]\n";
    for (const Key &k : kKeys) {
        if (!(k.archs & bit)) continue;
        const std::string n = k.name;
        o << n << " = ";
        if (n == "arch") o << '"' << arch << '"';
        else if (n == "hidden_size") o << hidden_size;
        else if (n == "num_heads") o << num_heads;
        else if (n == "expansion") o << fmt_double(expansion);
        else if (n == "h_layers") o << h_layers;
        else if (n == "l_layers") o << l_layers;
        else if (n == "layers") o << layers;
        else if (n == "h_cycles") o << h_cycles;
        else if (n == "l_cycles") o << l_cycles;
        else if (n == "mlp_t") o << (mlp_t ? "true" : "false");
        else if (n == "pos_encodings") o << '"' << pos_encodings << '"';
        else if (n == "rope_theta") o << fmt_double(rope_theta);
        else if (n == "rms_norm_eps") o << fmt_double(rms_norm_eps);
        else if (n == "puzzle_emb_ndim") o << puzzle_emb_ndim;
        else if (n == "puzzle_emb_len") o << puzzle_emb_len;
        else if (n == "halt_max_steps") o << halt_max_steps;
        else if (n == "halt_exploration_prob") o << fmt_double(halt_exploration_prob);
        else if (n == "no_act_continue") o << (no_act_continue ? "true" : "false");
        else if (n == "vocab_size") o << vocab_size;
        else if (n == "seq_len") o << seq_len;
        else if (n == "num_puzzle_identifiers") o << num_puzzle_identifiers;
        o << "\n";
    }
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

void get_bool(const toml::table &t, const std::string &source, const char *key, bool &out) {
    const toml::node *n = t.get(key);
    if (!n) return;
    if (!n->is_boolean()) throw Error(HRM_E_FORMAT, where(source, *n, key) + " must be true or false");
    out = n->as_boolean()->get();
}

template <class Bad>
void check_ranges(const Config &c, Bad &&bad) {
    if (c.arch != "hrm" && c.arch != "trm" && c.arch != "transformer")
        bad("arch", "must be \"hrm\", \"trm\" or \"transformer\", got \"" + c.arch + "\"");
    const Arch a = c.kind();
    if (c.hidden_size <= 0 || c.hidden_size > 65536) bad("hidden_size", "must be in 1..65536");
    // TRM's sequence MLP has no attention: num_heads is never used (the reference only builds
    // unused RoPE tables from it), so any positive value is accepted there.
    if (c.mlp_t) {
        if (c.num_heads <= 0) bad("num_heads", "must be positive");
    } else {
        if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0) bad("num_heads", "must be positive and divide hidden_size");
        if (c.head_dim() % 2 != 0) bad("num_heads", "must leave an even head_dim (hidden_size / num_heads) for RoPE");
    }
    if (!(c.expansion > 0.0) || c.expansion > 64.0) bad("expansion", "must be in (0, 64]");
    if (a == Arch::Hrm) {
        if (c.h_layers < 1 || c.h_layers > 64) bad("h_layers", "must be in 1..64");
        if (c.l_layers < 1 || c.l_layers > 64) bad("l_layers", "must be in 1..64");
    } else if (c.layers < 1 || c.layers > 64) {
        bad("layers", "must be in 1..64");
    }
    if (a != Arch::Transformer) {
        if (c.h_cycles < 1 || c.h_cycles > 1024) bad("h_cycles", "must be in 1..1024");
        if (c.l_cycles < 1 || c.l_cycles > 1024) bad("l_cycles", "must be in 1..1024");
    } else if (c.h_cycles != 1 || c.l_cycles != 0) {
        bad("h_cycles", "the transformer runs one pass per segment (h_cycles 1, l_cycles 0)");
    }
    const bool pos_ok = c.pos_encodings == "rope" || c.pos_encodings == "learned" || (a != Arch::Hrm && c.pos_encodings == "none");
    if (!pos_ok)
        bad("pos_encodings", std::string("must be \"rope\"") + (a == Arch::Hrm ? " or" : ", \"none\" or") +
                                 " \"learned\", got \"" + c.pos_encodings + "\"");
    if (c.mlp_t && c.pos_encodings == "rope")
        bad("pos_encodings", "must be \"none\" or \"learned\" with mlp_t (the sequence MLP has no attention to rotate)");
    if (c.puzzle_emb_len < 0 || c.puzzle_emb_len > 4096) bad("puzzle_emb_len", "must be in 0..4096");
    if (c.puzzle_emb_len > 0 && c.puzzle_emb_ndim > c.puzzle_emb_len * c.hidden_size)
        bad("puzzle_emb_len", "must hold puzzle_emb_ndim values (puzzle_emb_len · hidden_size >= puzzle_emb_ndim)");
    if (!(c.rope_theta > 0.0)) bad("rope_theta", "must be positive");
    if (!(c.rms_norm_eps > 0.0) || c.rms_norm_eps > 1.0) bad("rms_norm_eps", "must be in (0, 1]");
    if (c.puzzle_emb_ndim < 0) bad("puzzle_emb_ndim", "must be >= 0");
    if (c.halt_max_steps < 1) bad("halt_max_steps", "must be >= 1");
    if (!(c.halt_exploration_prob >= 0.0 && c.halt_exploration_prob <= 1.0)) bad("halt_exploration_prob", "must be in [0, 1]");
    if (c.vocab_size < 1 || c.vocab_size > (int64_t(1) << 24)) bad("vocab_size", "must be in 1..2^24");
    if (c.seq_len < 1 || c.seq_len > (int64_t(1) << 20)) bad("seq_len", "must be in 1..2^20");
    if (c.num_puzzle_identifiers < 1 || c.num_puzzle_identifiers > (int64_t(1) << 24))
        bad("num_puzzle_identifiers", "must be in 1..2^24");
    // Size limits (issue #24: puzzle_emb_ndim 1e8 allocated gigabytes until the OOM killer,
    // halt_max_steps 1e8 ran without end): far above every published model, refused before
    // anything is allocated. The ranges above keep these products well inside int64.
    if (c.puzzle_emb_ndim > 65536) bad("puzzle_emb_ndim", "must be in 0..65536");
    if (c.halt_max_steps > 4096) bad("halt_max_steps", "must be in 1..4096");
    if (!std::isfinite(c.rope_theta)) bad("rope_theta", "must be finite");
    constexpr int64_t kMaxTensor = int64_t(1) << 31;   // elements of one weight or activation
    if (c.num_puzzle_identifiers * c.puzzle_emb_ndim > kMaxTensor)
        bad("num_puzzle_identifiers", "times puzzle_emb_ndim must be at most 2^31 (the puzzle embedding table)");
    if (c.vocab_size * c.hidden_size > kMaxTensor) bad("vocab_size", "times hidden_size must be at most 2^31");
    if (c.total_len() * c.hidden_size > kMaxTensor)
        bad("seq_len", "plus the puzzle prefix, times hidden_size, must be at most 2^31");
    if (c.n_params() > (int64_t(1) << 34)) bad("hidden_size", "gives more than 2^34 parameters");
}

}  // namespace

Config parse_config(const std::string &text, const std::string &source, const std::string &default_arch) {
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
    std::string arch = default_arch;
    get_string(*m, source, "arch", arch);
    if (arch != "hrm" && arch != "trm" && arch != "transformer") {
        const toml::node *n = m->get("arch");
        throw Error(HRM_E_INVALID_ARG, (n ? where(source, *n, "arch") : source + ": key 'arch'") +
                                           " must be \"hrm\", \"trm\" or \"transformer\", got \"" + arch + "\"");
    }
    Config c = Config::defaults(arch);
    const unsigned bit = arch_bit(c.kind());
    for (const auto &[k, v] : *m) {
        const Key *key = nullptr;
        for (const Key &known : kKeys)
            if (k.str() == known.name) key = &known;
        if (!key) throw Error(HRM_E_FORMAT, where(source, v, std::string(k.str())) + " is not a known [model] key");
        if (!(key->archs & bit))
            throw Error(HRM_E_FORMAT, where(source, v, std::string(k.str())) + " is not a [model] key of arch \"" + arch + "\"");
    }
    get_int(*m, source, "hidden_size", c.hidden_size);
    get_int(*m, source, "num_heads", c.num_heads);
    get_float(*m, source, "expansion", c.expansion);
    get_int(*m, source, "h_layers", c.h_layers);
    get_int(*m, source, "l_layers", c.l_layers);
    get_int(*m, source, "layers", c.layers);
    get_int(*m, source, "h_cycles", c.h_cycles);
    get_int(*m, source, "l_cycles", c.l_cycles);
    get_bool(*m, source, "mlp_t", c.mlp_t);
    get_string(*m, source, "pos_encodings", c.pos_encodings);
    get_float(*m, source, "rope_theta", c.rope_theta);
    get_float(*m, source, "rms_norm_eps", c.rms_norm_eps);
    get_int(*m, source, "puzzle_emb_ndim", c.puzzle_emb_ndim);
    get_int(*m, source, "puzzle_emb_len", c.puzzle_emb_len);
    get_int(*m, source, "halt_max_steps", c.halt_max_steps);
    get_float(*m, source, "halt_exploration_prob", c.halt_exploration_prob);
    get_bool(*m, source, "no_act_continue", c.no_act_continue);
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

}  // namespace hrm::models::core
