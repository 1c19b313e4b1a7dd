// hrm convert CHECKPOINT -o OUT.safetensors [--data DIR] [--config arch.toml] [--set model.key=value]...
//
// Converts a reference checkpoint (torch.save(model.state_dict()) zip, spec 6.1) of the HRM or the
// TRM training scripts into the SDK's safetensors checkpoint, without Python: the zip + pickle are
// read by hrm_common's torch_zip reader, which accepts only plain state dicts of tensors. Keys lose
// their "_orig_mod." and "model." prefixes (spec 6.2).
//
// The model config comes from what the reference itself builds the model from, and nothing else:
//   1. all_config.yaml beside the checkpoint (the training scripts write it there): its `arch`
//      table (name -> hrm or trm, H/L cycles, layers, heads, expansion, ...), with the defaults
//      of the reference's config classes for the keys they default;
//   2. the dataset's train/dataset.json (seq_len, vocab_size, num_puzzle_identifiers) when the
//      config's data_path (HRM) / data_paths (TRM) names a folder that exists, or --data;
//   3. the tensor shapes (vocab, hidden size, layer counts, puzzle table, positions, TRM's mlp_t),
//      which must agree with 1 and 2;
//   4. --config/--set [model] keys, which override 1 and 2 (e.g. halt_max_steps) but not 3.
// A key none of them gives is an error naming it and how to pass it: no value is guessed (issue
// #23: a 4-head model used to convert silently with 8). The result is stored in the safetensors
// metadata and written next to it as OUT.toml, then loaded through the model plugin before the
// command reports success, so every shape is checked.
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

#include <unistd.h>

#include <hrm/common/checkpoint.hpp>
#include <hrm/common/json.hpp>
#include <hrm/common/torch_zip.hpp>
#include <hrm/common/yaml.hpp>

#include "cli.hpp"
#include "commands.hpp"

using namespace hrm::runner;
namespace fs = std::filesystem;
namespace yaml = hrm::common::yaml;

namespace {

std::string strip_prefixes(std::string name) {
    for (const char *prefix : {"_orig_mod.", "model."})
        if (name.rfind(prefix, 0) == 0) name = name.substr(std::string(prefix).size());
    return name;
}

std::string read_text(const fs::path &p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + p.string());
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// One [model] value and where it came from (for messages).
using Value = std::variant<int64_t, double, bool, std::string>;
struct Setting {
    Value value;
    std::string source;
};

std::string value_str(const Value &v) {
    if (const auto *i = std::get_if<int64_t>(&v)) return std::to_string(*i);
    if (const auto *b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    if (const auto *s = std::get_if<std::string>(&v)) return '"' + *s + '"';
    char buf[64];   // shortest round-trip form, like Python's repr
    std::string t(buf, std::to_chars(buf, buf + sizeof buf, std::get<double>(v)).ptr);
    if (t.find_first_of(".en") == std::string::npos) t += ".0";
    return t;
}

bool same(const Value &a, const Value &b) {
    // 4 and 4.0 are the same expansion.
    auto num = [](const Value &v) -> std::optional<double> {
        if (const auto *i = std::get_if<int64_t>(&v)) return double(*i);
        if (const auto *d = std::get_if<double>(&v)) return *d;
        return std::nullopt;
    };
    if (num(a) && num(b)) return *num(a) == *num(b);
    return a == b;
}

enum class Type { Int, Number, Bool, String };

// The [model] keys per arch in the plugin's order (plugins/models/common/config.cpp) with their
// types: the keys OUT.toml holds.
struct KeySpec {
    const char *name;
    Type type;
    bool hrm, trm;
};
constexpr KeySpec kKeys[] = {
    {"arch", Type::String, true, true},          {"hidden_size", Type::Int, true, true},
    {"num_heads", Type::Int, true, true},        {"expansion", Type::Number, true, true},
    {"h_layers", Type::Int, true, false},        {"l_layers", Type::Int, true, false},
    {"layers", Type::Int, false, true},          {"h_cycles", Type::Int, true, true},
    {"l_cycles", Type::Int, true, true},         {"mlp_t", Type::Bool, false, true},
    {"pos_encodings", Type::String, true, true}, {"rope_theta", Type::Number, true, true},
    {"rms_norm_eps", Type::Number, true, true},  {"puzzle_emb_ndim", Type::Int, true, true},
    {"puzzle_emb_len", Type::Int, false, true},  {"halt_max_steps", Type::Int, true, true},
    {"halt_exploration_prob", Type::Number, true, true}, {"no_act_continue", Type::Bool, false, true},
    {"vocab_size", Type::Int, true, true},       {"seq_len", Type::Int, true, true},
    {"num_puzzle_identifiers", Type::Int, true, true}};

const KeySpec *key_spec(const std::string &name) {
    for (const KeySpec &k : kKeys)
        if (name == k.name) return &k;
    return nullptr;
}

// all_config.yaml `arch` keys -> [model] keys. `required`: the reference's config class has no
// default for it (pydantic refuses the config without it); `fallback`: its default otherwise.
struct ArchKey {
    const char *yaml;
    const char *model;   // nullptr: read by the reference but without effect on the weights' use
    Type type;
    bool hrm, trm;
    bool required;
    std::optional<Value> fallback;
};
const std::vector<ArchKey> &arch_keys() {
    static const std::vector<ArchKey> keys = {
        {"H_cycles", "h_cycles", Type::Int, true, true, true, {}},
        {"L_cycles", "l_cycles", Type::Int, true, true, true, {}},
        {"H_layers", "h_layers", Type::Int, true, false, true, {}},
        {"L_layers", "l_layers", Type::Int, true, false, true, {}},
        {"L_layers", "layers", Type::Int, false, true, true, {}},
        {"H_layers", nullptr, Type::Int, false, true, false, {}},   // TRM: "ignored" (trm.py)
        {"hidden_size", "hidden_size", Type::Int, true, true, true, {}},
        {"expansion", "expansion", Type::Number, true, true, true, {}},
        {"num_heads", "num_heads", Type::Int, true, true, true, {}},
        {"pos_encodings", "pos_encodings", Type::String, true, true, true, {}},
        {"rms_norm_eps", "rms_norm_eps", Type::Number, true, true, false, Value(1e-5)},
        {"rope_theta", "rope_theta", Type::Number, true, true, false, Value(10000.0)},
        {"puzzle_emb_ndim", "puzzle_emb_ndim", Type::Int, true, true, false, Value(int64_t(0))},
        {"halt_max_steps", "halt_max_steps", Type::Int, true, true, true, {}},
        {"halt_exploration_prob", "halt_exploration_prob", Type::Number, true, true, true, {}},
        {"mlp_t", "mlp_t", Type::Bool, false, true, false, Value(false)},
        {"puzzle_emb_len", "puzzle_emb_len", Type::Int, false, true, false, Value(int64_t(16))},
        {"no_ACT_continue", "no_act_continue", Type::Bool, false, true, false, Value(true)},
        {"forward_dtype", nullptr, Type::String, true, true, false, {}},   // our --precision, per run
        {"name", nullptr, Type::String, true, true, true, {}},
        {"loss", nullptr, Type::String, true, true, false, {}},            // training only
    };
    return keys;
}

// The reference model classes by all_config.yaml `arch.name` ("module@Class").
std::string arch_of_name(const std::string &name, const std::string &where) {
    if (name == "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1" ||
        name == "recursive_reasoning.hrm@HierarchicalReasoningModel_ACTV1")
        return "hrm";
    if (name == "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1") return "trm";
    throw std::runtime_error(where + ": arch.name '" + name +
                             "' is not a model hrm convert can convert (HRM: hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1 "
                             "or recursive_reasoning.hrm@HierarchicalReasoningModel_ACTV1; TRM: "
                             "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1)");
}

Value yaml_value(const yaml::Node &n, Type type, const std::string &what) {
    switch (type) {
        case Type::Int:
            if (n.kind == yaml::Node::Kind::Int) return n.integer;
            throw std::runtime_error(what + " must be an integer, got " + n.kind_name() + " '" + n.text + "'");
        case Type::Number:
            if (n.is_number()) return n.kind == yaml::Node::Kind::Int ? Value(double(n.integer)) : Value(n.number);
            throw std::runtime_error(what + " must be a number, got " + n.kind_name() + " '" + n.text + "'");
        case Type::Bool:
            if (n.kind == yaml::Node::Kind::Bool) return n.boolean;
            throw std::runtime_error(what + " must be true or false, got " + n.kind_name() + " '" + n.text + "'");
        case Type::String:
            if (n.is_string()) return n.text;
            throw std::runtime_error(what + " must be a string, got " + n.kind_name());
    }
    return int64_t(0);
}

Value toml_value(const toml::node &n, Type type, const std::string &what) {
    if (type == Type::Int && n.is_integer()) return n.as_integer()->get();
    if (type == Type::Number && (n.is_integer() || n.is_floating_point()))
        return n.is_integer() ? double(n.as_integer()->get()) : n.as_floating_point()->get();
    if (type == Type::Bool && n.is_boolean()) return n.as_boolean()->get();
    if (type == Type::String && n.is_string()) return n.as_string()->get();
    const char *want = type == Type::Int ? "an integer" : type == Type::Number ? "a number" : type == Type::Bool ? "true or false" : "a string";
    throw std::runtime_error(what + " must be " + want);
}

// The dataset folder the config names (data_path, or TRM's data_paths with one entry): tried as
// given, then below each folder above the checkpoint (the training scripts run from the repository
// root and write checkpoints/<project>/<run>/). Empty when there is none; `why` says what was tried.
fs::path find_dataset(const yaml::Node *config, const fs::path &checkpoint_dir, const std::string &cfg_path, std::string &why) {
    if (!config) {
        why = "no all_config.yaml";
        return {};
    }
    std::string rel, key = "data_path";
    if (const yaml::Node *p = config->find("data_path"); p && p->is_string()) {
        rel = p->text;
    } else if (const yaml::Node *ps = config->find("data_paths"); ps && ps->is_list()) {
        if (ps->list.size() != 1 || !ps->list[0].is_string()) {
            why = cfg_path + " lists " + std::to_string(ps->list.size()) + " data_paths (one dataset expected)";
            return {};
        }
        rel = ps->list[0].text;
        key = "data_paths[0]";
    } else {
        why = cfg_path + " has no data_path";
        return {};
    }
    std::vector<fs::path> tried;
    auto ok = [](const fs::path &d) { return fs::is_regular_file(d / "train" / "dataset.json"); };
    const fs::path p(rel);
    if (p.is_absolute()) {
        tried.push_back(p);
    } else {
        tried.push_back(fs::current_path() / p);
        for (fs::path d = fs::absolute(checkpoint_dir); ; d = d.parent_path()) {
            tried.push_back(d / p);
            if (d == d.parent_path()) break;
        }
    }
    for (const auto &d : tried)
        if (ok(d)) return d;
    why = key + " '" + rel + "' has no train/dataset.json (looked in " + tried.front().string() +
          " and below the folders above the checkpoint)";
    return {};
}

}  // namespace

int cmd_convert(int argc, char **argv) {
    CommonOptions common;
    std::string input, output, data_dir, all_config;
    bool force = false;
    po::options_description opts("hrm convert options");
    opts.add_options()
        ("checkpoint", po::value(&input)->required(), "reference checkpoint (torch.save zip of a state dict, e.g. step_26040)")
        ("output,o", po::value(&output)->required(), "output .safetensors (OUT.toml is written next to it)")
        ("data", po::value(&data_dir), "the dataset folder (with train/dataset.json) if all_config.yaml's data_path is not found")
        ("all-config", po::value(&all_config), "the training config (default: all_config.yaml beside the checkpoint)")
        ("force,f", po::bool_switch(&force), "overwrite existing outputs");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("checkpoint", 1);
    po::variables_map vm;
    const std::string usage = "hrm convert CHECKPOINT -o OUT.safetensors [--data DATASET] [--set model.KEY=VALUE]...";
    if (int rc = parse_args(argc, argv, usage, opts, pos, vm); rc >= 0) return rc;

    const fs::path out_path(output);
    const fs::path toml_path = fs::path(output).replace_extension(".toml");
    if (!force)
        for (const fs::path &p : {out_path, toml_path})
            if (fs::exists(p)) {
                std::cerr << "hrm convert: " << p.string() << " exists (use --force to overwrite)\n";
                return 1;
            }

    // 1. Tensors, prefixes stripped, in the checkpoint's order.
    std::vector<hrm::common::TorchTensor> tensors = hrm::common::read_torch_state_dict(input);
    std::map<std::string, const hrm::common::TorchTensor *> by_name;
    for (auto &t : tensors) {
        t.name = strip_prefixes(t.name);
        if (!by_name.emplace(t.name, &t).second) throw std::runtime_error(input + ": duplicate key " + t.name + " after stripping prefixes");
    }
    auto shape_of = [&](const std::string &name) -> const std::vector<int64_t> * {
        auto it = by_name.find(name);
        return it == by_name.end() ? nullptr : &it->second->shape;
    };
    const auto *emb = shape_of("inner.embed_tokens.embedding_weight");
    if (!emb || emb->size() != 2)
        throw std::runtime_error(input + ": no inner.embed_tokens.embedding_weight [V, D]; not an HRM or TRM checkpoint");
    // A crafted checkpoint can have empty dimensions: D = 0 divided by zero below (issue #24).
    if ((*emb)[0] < 1 || (*emb)[1] < 1)
        throw std::runtime_error(input + ": inner.embed_tokens.embedding_weight has shape " + hrm::common::shape_str(*emb) +
                                 "; vocab_size and hidden_size must be at least 1");

    std::map<std::string, Setting> model;   // the [model] table being built
    auto set = [&](const std::string &key, Value v, const std::string &source) {
        auto it = model.find(key);
        if (it != model.end() && !same(it->second.value, v))
            throw std::runtime_error("model." + key + " = " + value_str(v) + " (" + source + ") contradicts " +
                                     value_str(it->second.value) + " (" + it->second.source + ")");
        model[key] = {std::move(v), source};
    };

    // 2. all_config.yaml: the arch table.
    const fs::path ckpt_dir = fs::path(input).parent_path().empty() ? fs::path(".") : fs::path(input).parent_path();
    const fs::path cfg_path = all_config.empty() ? ckpt_dir / "all_config.yaml" : fs::path(all_config);
    std::optional<yaml::Node> cfg;
    if (fs::exists(cfg_path)) {
        cfg = yaml::parse(read_text(cfg_path), cfg_path.string());
        if (!cfg->is_map()) throw std::runtime_error(cfg_path.string() + ": not a mapping of config keys");
    } else if (!all_config.empty()) {
        throw std::runtime_error(all_config + ": no such file");
    }
    const std::string cfg_name = cfg_path.string();
    std::string arch;
    const toml::table *given = nullptr;
    const Config cli_cfg = load_config(common);
    if (const auto *t = cli_cfg.table()["model"].as_table()) given = t;
    if (cfg) {
        const yaml::Node *a = cfg->find("arch");
        if (!a || !a->is_map()) throw std::runtime_error(cfg_name + ": no arch table");
        const yaml::Node *name = a->find("name");
        if (!name || !name->is_string()) throw std::runtime_error(cfg_name + ": arch.name missing (the model class)");
        arch = arch_of_name(name->text, cfg_name + ":" + std::to_string(name->line));
        const bool hrm = arch == "hrm";
        std::set<std::string> known;
        for (const ArchKey &k : arch_keys()) {
            if (!(hrm ? k.hrm : k.trm)) continue;
            known.insert(k.yaml);
            if (!k.model) continue;
            const yaml::Node *n = a->find(k.yaml);
            const std::string what = cfg_name + ":" + std::to_string(n ? n->line : a->line) + ": arch." + k.yaml;
            if (n && n->kind != yaml::Node::Kind::Null) {
                set(k.model, yaml_value(*n, k.type, what), cfg_name + " arch." + k.yaml);
            } else if (k.fallback) {
                set(k.model, *k.fallback, std::string("the reference's default for arch.") + k.yaml);
            }   // a required key left out: step 6 names it and how to pass it
        }
        for (const auto &[key, value] : a->map)
            if (!known.count(key))
                std::cerr << "hrm convert: note: " << cfg_name << ":" << value.line << ": arch." << key
                          << " is not a key of the reference " << (hrm ? "HRM" : "TRM")
                          << " config; ignored, as the reference ignores it\n";
        if (const yaml::Node *fd = a->find("forward_dtype"); fd && fd->is_string() && fd->text == "float32")
            std::cerr << "hrm convert: note: the reference ran in float32 (arch.forward_dtype): run with --precision fp32 to match it\n";
    }
    model.insert({"arch", {Value(arch), cfg_name + " arch.name"}});

    // 3. --config/--set: override the training config (not the shapes, checked below).
    if (given) {
        for (const auto &[k, v] : *given) {
            const std::string key(k.str());
            const KeySpec *spec = key_spec(key);
            if (!spec) throw std::runtime_error("unknown [model] key '" + key + "' in --config/--set");
            Value value = toml_value(v, spec->type, "model." + key + " (--config/--set)");
            auto it = model.find(key);
            if (it != model.end() && !same(it->second.value, value) && !(key == "arch" && arch.empty()))
                std::cerr << "hrm convert: note: model." << key << " = " << value_str(value) << " (--config/--set) replaces "
                          << value_str(it->second.value) << " (" << it->second.source << ")\n";
            model[key] = {value, "--config/--set"};
        }
    }
    if (model["arch"].value == Value(std::string()))
        throw std::runtime_error("arch: no " + cfg_name + " beside the checkpoint to tell HRM from TRM; pass --all-config "
                                 "all_config.yaml, or --set model.arch=hrm|trm and every other [model] key");
    arch = std::get<std::string>(model["arch"].value);
    if (arch != "hrm" && arch != "trm") throw std::runtime_error("model.arch must be \"hrm\" or \"trm\" for a reference checkpoint");
    const bool hrm = arch == "hrm";

    // 4. The dataset's train/dataset.json: seq_len, vocab_size, num_puzzle_identifiers.
    std::string no_data_why;
    fs::path data = data_dir.empty() ? find_dataset(cfg ? &*cfg : nullptr, ckpt_dir, cfg_name, no_data_why) : fs::path(data_dir);
    if (!data.empty()) {
        const fs::path meta = data / "train" / "dataset.json";
        const auto j = hrm::common::json::parse(read_text(meta), meta.string());
        for (const char *key : {"seq_len", "vocab_size", "num_puzzle_identifiers"}) {
            const auto *v = j.find(key);
            if (!v || !v->is_integer) throw std::runtime_error(meta.string() + ": no integer " + key);
            if (!(given && given->contains(key))) set(key, v->integer, meta.string());
        }
        // The puzzle rows are the dataset's identifiers (ARC: one per augmented puzzle, in the
        // reference builder's order): say which table they belong to.
        const fs::path ids = data / "identifiers.json";
        if (const auto *n = j.find("num_puzzle_identifiers"); n && n->integer > 1 && fs::is_regular_file(ids)) {
            const auto list = hrm::common::json::parse(read_text(ids), ids.string());
            if (!list.is_array() || int64_t(list.array.size()) != n->integer)
                throw std::runtime_error(ids.string() + " does not list the " + std::to_string(n->integer) +
                                         " puzzle identifiers of " + meta.string());
            std::cerr << "hrm convert: note: the puzzle embedding rows follow " << ids.string()
                      << " (ARC: hrm dataset build arc --identifiers " << ids.string() << ")\n";
        }
    }

    // 5. What the tensors determine; a contradiction means the config is not these weights'.
    const std::string shapes = "the tensor shapes of " + input;
    set("vocab_size", (*emb)[0], shapes);
    set("hidden_size", (*emb)[1], shapes);
    const int64_t D = (*emb)[1];
    if (const auto *pe = shape_of("inner.puzzle_emb.weights")) {
        if (pe->size() != 2)
            throw std::runtime_error(input + ": inner.puzzle_emb.weights has shape " + hrm::common::shape_str(*pe) +
                                     ", expected [num_puzzle_identifiers, puzzle_emb_ndim]");
        set("num_puzzle_identifiers", (*pe)[0], shapes);
        set("puzzle_emb_ndim", (*pe)[1], shapes);
    } else {
        set("puzzle_emb_ndim", int64_t(0), shapes);
        if (!model.count("num_puzzle_identifiers")) set("num_puzzle_identifiers", int64_t(1), "no puzzle embedding");
    }
    auto count_layers = [&](const std::string &net) {
        int64_t n = 0;
        while (true) {
            const std::string pre = "inner." + net + ".layers." + std::to_string(n) + ".";
            if (!shape_of(pre + "mlp.down_proj.weight")) break;
            ++n;
        }
        return n;
    };
    const bool has_mlp_t = shape_of("inner.L_level.layers.0.mlp_t.down_proj.weight") != nullptr;
    if (hrm) {
        if (has_mlp_t) throw std::runtime_error(input + ": has TRM's mlp_t tensors, but the config names an HRM model");
        set("h_layers", count_layers("H_level"), shapes);
        set("l_layers", count_layers("L_level"), shapes);
    } else {
        if (shape_of("inner.H_level.layers.0.mlp.down_proj.weight"))
            throw std::runtime_error(input + ": has H_level tensors, but the config names a TRM model (one network, L_level)");
        set("layers", count_layers("L_level"), shapes);
        set("mlp_t", has_mlp_t, shapes);
    }
    const bool learned = shape_of("inner.embed_pos.embedding_weight") != nullptr;
    if (auto it = model.find("pos_encodings"); it != model.end()) {
        const std::string p = std::get<std::string>(it->second.value);
        if (!hrm && has_mlp_t && p == "rope") {
            // trm.py builds RoPE tables from num_heads but its sequence MLP never reads them.
            std::cerr << "hrm convert: note: pos_encodings \"rope\" with mlp_t: the reference builds RoPE tables it never "
                         "uses; converted as \"none\"\n";
            it->second.value = std::string("none");
        }
        const std::string now = std::get<std::string>(it->second.value);
        if ((now == "learned") != learned)
            throw std::runtime_error("model.pos_encodings = \"" + now + "\" (" + it->second.source + ") but " + input +
                                     (learned ? " has" : " has no") + " inner.embed_pos.embedding_weight");
    }
    // seq_len from the sequence-sized weights: embed_pos [S + P, D], mlp_t.gate_up_proj [2·It, S + P].
    {
        const auto get_int = [&](const char *k, int64_t fb) {
            auto it = model.find(k);
            return it == model.end() ? fb : std::get<int64_t>(it->second.value);
        };
        const int64_t ndim = get_int("puzzle_emb_ndim", 0), plen = hrm ? 0 : get_int("puzzle_emb_len", 16);
        const int64_t P = ndim <= 0 ? 0 : plen > 0 ? plen : (ndim + D - 1) / D;
        std::optional<int64_t> total;
        std::string from;
        if (learned) {
            const auto *pe = shape_of("inner.embed_pos.embedding_weight");
            if (pe->size() == 2) total = (*pe)[0], from = "inner.embed_pos.embedding_weight";
        } else if (has_mlp_t) {
            const auto *g = shape_of("inner.L_level.layers.0.mlp_t.gate_up_proj.weight");
            if (g && g->size() == 2) total = (*g)[1], from = "inner.L_level.layers.0.mlp_t.gate_up_proj.weight";
        }
        if (total) {
            if (*total <= P)
                throw std::runtime_error(input + ": " + from + " covers " + std::to_string(*total) +
                                         " positions, not the " + std::to_string(P) + " puzzle positions plus at least one");
            set("seq_len", *total - P, shapes + " (" + from + " less " + std::to_string(P) + " puzzle positions)");
        }
    }

    // 6. Every key the plugin needs, or an error naming it.
    for (const KeySpec &k : kKeys) {
        if (!(hrm ? k.hrm : k.trm) || model.count(k.name)) continue;
        const bool mlp_t = !hrm && std::get<bool>(model["mlp_t"].value);
        if (std::string(k.name) == "num_heads" && mlp_t) {   // never used by the sequence MLP
            model["num_heads"] = {Value(int64_t(1)), "unused with mlp_t"};
            continue;
        }
        std::string yaml_key;
        for (const ArchKey &a : arch_keys())
            if (a.model && k.name == std::string(a.model) && (hrm ? a.hrm : a.trm)) yaml_key = a.yaml;
        std::string msg = "model." + std::string(k.name) + " is not known: ";
        if (std::string(k.name) == "seq_len")
            msg += "the reference takes it from the dataset's train/dataset.json (" +
                   (data.empty() ? no_data_why : data.string()) + ") and these weights do not determine it; pass --data DATASET_DIR or --set model.seq_len=N";
        else if (!cfg)
            msg += "there is no " + cfg_name + " (the training config the reference scripts write beside the checkpoint); pass --all-config FILE or --set model." + k.name + "=VALUE";
        else
            msg += cfg_name + " has no arch." + yaml_key + "; pass --set model." + std::string(k.name) + "=VALUE";
        throw std::runtime_error(msg);
    }
    std::string config_text = "[model]\n";
    for (const KeySpec &k : kKeys)
        if ((hrm ? k.hrm : k.trm) && model.count(k.name)) config_text += std::string(k.name) + " = " + value_str(model[k.name].value) + "\n";
    for (const auto &[key, s] : model)
        if (const KeySpec *spec = key_spec(key); !spec || !(hrm ? spec->hrm : spec->trm))
            throw std::runtime_error("model." + key + " (" + s.source + ") is not a [model] key of arch \"" + arch + "\"");

    // 7. Write safetensors and the TOML under temporary names next to the outputs; they replace
    // the outputs only once the checkpoint loads (issue #24: with --force a failed conversion used
    // to delete the previous, good output).
    const std::string suffix = ".new." + std::to_string(::getpid());
    const fs::path new_out = out_path.string() + suffix, new_toml = toml_path.string() + suffix;
    struct Cleanup {
        std::vector<fs::path> paths;
        ~Cleanup() {
            std::error_code ec;
            for (const auto &p : paths) fs::remove(p, ec);
        }
    } cleanup{{new_out, new_toml}};
    std::vector<hrm::common::TensorRef> refs;
    for (const auto &t : tensors) refs.push_back({t.name, t.dtype, t.shape, t.bytes.data()});
    hrm::common::write_safetensors(new_out.string(), refs,
                                   {{hrm::common::kConfigKey, config_text},
                                    {hrm::common::kFormatKey, hrm::common::kFormatValue},
                                    {"source", fs::path(input).filename().string()}});
    {
        std::ofstream f(new_toml);
        f << config_text;
        if (!f) throw std::runtime_error("cannot write " + new_toml.string());
    }

    // 8. Load it back through the plugin: shapes against the config, names, dtypes.
    hrm::Runtime runtime = open_runtime(common);
    try {
        hrm::Instance m = runtime.create(HRM_KIND_MODEL, arch.c_str(), config_text, new_out.string().c_str());
        hrm_model_spec spec{};
        spec.struct_size = sizeof spec;
        hrm::check(m.model()->get_spec(m.model(), &spec));
        fs::rename(new_out, out_path);
        fs::rename(new_toml, toml_path);
        std::cout << "wrote " << out_path.string() << " (" << arch << ", " << tensors.size() << " tensors, " << spec.n_params
                  << " trainable parameters) and " << toml_path.string() << "\n";
    } catch (const std::exception &e) {
        std::cerr << "hrm convert: the converted checkpoint does not load: " << e.what() << "\n";
        return 1;   // the previous outputs, if any, are untouched
    }
    return 0;
}
