// hrm convert REF_CHECKPOINT -o OUT.safetensors [--config arch.toml] [--set model.key=value]...
//
// Converts a reference checkpoint (torch.save(model.state_dict()) zip, spec 6.1) into the SDK's
// safetensors checkpoint, without Python: the zip + pickle are read by hrm_common's torch_zip
// reader, which accepts only plain state dicts of tensors. Keys lose their "_orig_mod." and
// "model." prefixes (spec 6.2). The model config comes from --config/--set (the reference's
// all_config.yaml "arch" fields map to [model] keys: H_cycles -> h_cycles, ...), completed by what
// the tensor shapes determine (spec 6.1: vocab_size, hidden_size, num_puzzle_identifiers,
// puzzle_emb_ndim, h_layers, l_layers, pos_encodings and, with learned positions, seq_len). It is
// stored in the safetensors metadata and written next to it as OUT.toml. The result is loaded
// through the model plugin before the command reports success, so every shape is checked.
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <hrm/common/checkpoint.hpp>
#include <hrm/common/torch_zip.hpp>

#include "cli.hpp"
#include "commands.hpp"

using namespace hrm::runner;

namespace {

std::string strip_prefixes(std::string name) {
    for (const char *prefix : {"_orig_mod.", "model."})
        if (name.rfind(prefix, 0) == 0) name = name.substr(std::string(prefix).size());
    return name;
}

// The [model] keys in schema order (tests/parity/hrm_reference.py HRMConfig, plugin config.hpp)
// with the reference's values (config/arch/hrm_v1.yaml, spec 1.1) for keys neither the shapes
// nor --config/--set give, so OUT.toml is complete. seq_len has no default (see below).
toml::table reference_defaults() {
    return toml::table{{"arch", "hrm"},           {"num_heads", 8},           {"expansion", 4.0},
                       {"h_cycles", 2},           {"l_cycles", 2},            {"rope_theta", 10000.0},
                       {"rms_norm_eps", 1e-5},    {"halt_max_steps", 16},     {"halt_exploration_prob", 0.1},
                       {"num_puzzle_identifiers", 1}};
}
const char *const kKeys[] = {"arch", "hidden_size", "num_heads", "expansion", "h_layers", "l_layers",
                             "h_cycles", "l_cycles", "pos_encodings", "rope_theta", "rms_norm_eps",
                             "puzzle_emb_ndim", "halt_max_steps", "halt_exploration_prob", "vocab_size",
                             "seq_len", "num_puzzle_identifiers"};

std::string to_toml_value(const toml::node &n) {
    std::ostringstream out;
    if (const auto *s = n.as_string()) out << '"' << s->get() << '"';
    else if (const auto *f = n.as_floating_point()) {
        char buf[64];   // shortest round-trip form, like Python's repr
        std::string t(buf, std::to_chars(buf, buf + sizeof buf, f->get()).ptr);
        if (t.find_first_of(".en") == std::string::npos) t += ".0";
        out << t;
    } else if (const auto *i = n.as_integer()) out << i->get();
    else if (const auto *b = n.as_boolean()) out << (b->get() ? "true" : "false");
    else throw std::runtime_error("unsupported value type in the [model] config");
    return out.str();
}

}  // namespace

int cmd_convert(int argc, char **argv) {
    CommonOptions common;
    std::string input, output;
    bool force = false;
    po::options_description opts("hrm convert options");
    opts.add_options()
        ("checkpoint", po::value(&input)->required(), "reference checkpoint (torch.save zip of a state dict)")
        ("output,o", po::value(&output)->required(), "output .safetensors (OUT.toml is written next to it)")
        ("force,f", po::bool_switch(&force), "overwrite existing outputs");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("checkpoint", 1);
    po::variables_map vm;
    const std::string usage = "hrm convert REF_CHECKPOINT -o OUT.safetensors [--config arch.toml] [--set model.KEY=VALUE]...";
    if (int rc = parse_args(argc, argv, usage, opts, pos, vm); rc >= 0) return rc;

    namespace fs = std::filesystem;
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

    // 2. Config: --config/--set, then what the shapes determine.
    const Config cfg = load_config(common);
    toml::table model;
    if (const auto *t = cfg.table()["model"].as_table()) model = *t;
    std::map<std::string, int64_t> inferred;
    const auto *emb = shape_of("inner.embed_tokens.embedding_weight");
    if (!emb || emb->size() != 2) throw std::runtime_error(input + ": no inner.embed_tokens.embedding_weight [V, D]; not an HRM checkpoint");
    inferred["vocab_size"] = (*emb)[0];
    inferred["hidden_size"] = (*emb)[1];
    if (const auto *pe = shape_of("inner.puzzle_emb.weights")) {
        inferred["num_puzzle_identifiers"] = (*pe)[0];
        inferred["puzzle_emb_ndim"] = (*pe)[1];
    } else {
        inferred["puzzle_emb_ndim"] = 0;
    }
    for (const char *level : {"H_level", "L_level"}) {
        int64_t n = 0;
        while (shape_of(std::string("inner.") + level + ".layers." + std::to_string(n) + ".self_attn.qkv_proj.weight")) ++n;
        inferred[level[0] == 'H' ? "h_layers" : "l_layers"] = n;
    }
    const int64_t D = inferred["hidden_size"], P = (inferred["puzzle_emb_ndim"] + D - 1) / D;
    if (const auto *pos_emb = shape_of("inner.embed_pos.embedding_weight")) {
        model.insert_or_assign("pos_encodings", "learned");
        inferred["seq_len"] = (*pos_emb)[0] - P;   // embed_pos has S + P rows
    } else {
        model.insert_or_assign("pos_encodings", "rope");
        if (!model.contains("seq_len"))
            throw std::runtime_error("seq_len cannot be inferred from a RoPE checkpoint: pass --set model.seq_len=81 (Sudoku) "
                                     "or 900 (Maze, ARC), or --config configs/models/hrm-<task>.toml");
    }
    for (const auto &[key, value] : inferred) {
        if (const auto *given = model[key].as_integer(); given && given->get() != value)
            std::cerr << "hrm convert: note: model." << key << " = " << given->get() << " replaced by " << value
                      << " (from the tensor shapes)\n";
        model.insert_or_assign(key, value);
    }
    model.insert_or_assign("arch", "hrm");
    for (const auto &[key, value] : reference_defaults())
        if (!model.contains(key)) model.insert_or_assign(key, value);
    std::string config_text = "[model]\n";
    std::set<std::string> known(std::begin(kKeys), std::end(kKeys));
    for (const char *key : kKeys)
        if (const toml::node *n = model.get(key)) config_text += std::string(key) + " = " + to_toml_value(*n) + "\n";
    for (const auto &[key, value] : model)
        if (!known.count(std::string(key.str())))
            throw std::runtime_error("unknown [model] key '" + std::string(key.str()) + "' in --config/--set");

    // 3. Write safetensors (atomically) and the TOML.
    std::vector<hrm::common::TensorRef> refs;
    for (const auto &t : tensors) refs.push_back({t.name, t.dtype, t.shape, t.bytes.data()});
    hrm::common::write_safetensors(out_path.string(), refs,
                                   {{hrm::common::kConfigKey, config_text},
                                    {hrm::common::kFormatKey, hrm::common::kFormatValue},
                                    {"source", fs::path(input).filename().string()}});
    {
        std::ofstream f(toml_path);
        f << config_text;
        if (!f) throw std::runtime_error("cannot write " + toml_path.string());
    }

    // 4. Load it back through the plugin: shapes against the config, names, dtypes.
    hrm::Runtime runtime = open_runtime(common);
    try {
        hrm::Instance m = runtime.create(HRM_KIND_MODEL, "hrm", config_text, out_path.string().c_str());
        hrm_model_spec spec{};
        spec.struct_size = sizeof spec;
        hrm::check(m.model()->get_spec(m.model(), &spec));
        std::cout << "wrote " << out_path.string() << " (" << tensors.size() << " tensors, " << spec.n_params
                  << " trainable parameters) and " << toml_path.string() << "\n";
    } catch (const std::exception &e) {
        std::cerr << "hrm convert: the converted checkpoint does not load: " << e.what() << "\n";
        fs::remove(out_path);
        fs::remove(toml_path);
        return 1;
    }
    return 0;
}
