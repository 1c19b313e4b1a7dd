// hrm export RUN_DIR|STEP_DIR|MODEL.safetensors -o MODEL.safetensors [--no-ema] [--precision int8]
//
// Writes the deployable model of a training checkpoint: model.safetensors with, when the training
// kept an EMA of the weights (the TRM recipe), the EMA values in place of the trainable tensors -
// the weights `hrm eval` and the training's evaluations measured. Buffers, names, dtypes and the
// config metadata are kept, so the result loads wherever a checkpoint's model.safetensors does
// (`hrm solve --model`, `hrm forward`, models/). A file operation: no plugin is loaded.
//
// --precision int8 writes a quantised model: every block linear weight (`*.layers.N.*_proj.weight`)
// as I8 [out, in] values with an F32 [out] tensor `<name>_scale` (per-output-channel symmetric
// scales, kernels/int8.hpp), everything else unchanged. The model plugins load it (dequantising
// for fp32/bf16 states, running int8 states on exactly the stored values, the file's default
// precision). The input may also be a model file (e.g. models/sudoku.safetensors).
#include <cstring>
#include <deque>
#include <filesystem>
#include <iostream>

#include <hrm/common/safetensors.hpp>
#include <hrm/kernels/int8.hpp>
#include <hrm/train/checkpoint.hpp>

#include "cli.hpp"
#include "commands.hpp"

using namespace hrm::runner;
namespace fs = std::filesystem;

namespace {

// The tensors the model plugins accept in int8 (Weights::quantizable): the blocks' linear weights.
bool quantizable(const hrm::common::TensorView &t) {
    const std::string &n = t.name;
    const std::string suffix = "_proj.weight";
    return t.shape.size() == 2 && n.find(".layers.") != std::string::npos && n.size() > suffix.size() &&
           n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int cmd_export(int argc, char **argv) {
    std::string checkpoint, out_path, precision = "fp32";
    bool no_ema = false;
    po::options_description opts("hrm export options");
    opts.add_options()
        ("checkpoint", po::value(&checkpoint)->required(), "a training run folder (its latest checkpoint) or a step folder")
        ("out,o", po::value(&out_path)->required(), "the model file to write (.safetensors)")
        ("no-ema", po::bool_switch(&no_ema), "export the raw weights even when the checkpoint has an EMA")
        ("precision", po::value(&precision), "fp32 (default: the tensors as trained) or int8 (quantised block linears)")
        ("help,h", "show this help");
    po::positional_options_description pos;
    pos.add("checkpoint", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm export RUN_DIR|STEP_DIR|MODEL.safetensors -o MODEL.safetensors [--no-ema] [--precision int8]",
                            opts, pos, vm);
        rc >= 0)
        return rc;
    if (precision != "fp32" && precision != "int8") {
        std::cerr << "hrm export: --precision must be fp32 or int8\n";
        return 2;
    }
    const bool int8 = precision == "int8";

    // A model file is exported as it is (no EMA to apply); a run or step folder through its checkpoint.
    const bool from_file = fs::is_regular_file(checkpoint);
    const fs::path step = from_file ? fs::path(checkpoint) : fs::path(hrm::train::resolve_checkpoint(checkpoint));
    const hrm::common::SafetensorsFile model(from_file ? checkpoint : (step / hrm::train::kModelFile).string());
    const fs::path state_path = step / hrm::train::kStateFile;
    std::unique_ptr<hrm::common::SafetensorsFile> state;
    if (!from_file && !no_ema && fs::exists(state_path)) state = std::make_unique<hrm::common::SafetensorsFile>(state_path.string());
    if (int8 && model.metadata().count("precision") && model.metadata().at("precision") == "int8")
        throw std::runtime_error(model.path() + " is already an int8 model");

    std::vector<hrm::common::TensorRef> tensors;
    // Storage of the quantised tensors; a deque keeps the borrowed pointers valid.
    std::deque<std::vector<int8_t>> q_store;
    std::deque<std::vector<float>> s_store;
    int64_t replaced = 0, quantized = 0;
    for (const auto &t : model.tensors()) {
        const hrm::common::TensorView *ema = state ? state->find("ema." + t.name) : nullptr;
        if (ema && (ema->dtype != t.dtype || ema->shape != t.shape))
            throw std::runtime_error(state_path.string() + ": the EMA of " + t.name + " does not match its dtype or shape");
        const void *data = ema ? ema->data : t.data;
        replaced += ema != nullptr;
        if (int8 && quantizable(t)) {
            if (t.dtype != hrm::common::DType::F32)
                throw std::runtime_error(model.path() + ": " + t.name + " is " + hrm::common::dtype_name(t.dtype) +
                                         ", int8 export quantises F32 weights");
            const int64_t n = t.shape[0], k = t.shape[1];
            std::vector<float> w(size_t(n * k));
            std::memcpy(w.data(), data, w.size() * sizeof(float));   // the mapping may be unaligned for floats
            auto &q = q_store.emplace_back(size_t(n * k));
            auto &s = s_store.emplace_back(size_t(n));
            hrm::kernels::quantize_weight(w.data(), n, k, q.data(), s.data());
            tensors.push_back({t.name, hrm::common::DType::I8, t.shape, q.data()});
            tensors.push_back({t.name + "_scale", hrm::common::DType::F32, {n}, s.data()});
            ++quantized;
            continue;
        }
        tensors.push_back({t.name, t.dtype, t.shape, data});
    }
    if (int8 && quantized == 0) throw std::runtime_error(model.path() + ": no block linear weights (*.layers.N.*_proj.weight) to quantise");
    auto metadata = model.metadata();
    metadata["exported_from"] = step.string();
    if (!from_file || !metadata.count("weights")) metadata["weights"] = replaced ? "ema" : "raw";
    if (int8) {
        metadata["precision"] = "int8";
        metadata["quantization"] = "int8 weights per output channel, symmetric (<name>_scale); activations per row at run time";
    }
    hrm::common::write_safetensors(out_path, tensors, metadata);
    std::cout << "wrote " << out_path << ": " << tensors.size() << " tensors from " << step.string()
              << (replaced ? ", " + std::to_string(replaced) + " of them the EMA" : std::string(from_file ? "" : ", raw weights"));
    if (int8) std::cout << ", " << quantized << " linear weights quantised to int8";
    std::cout << "\n";
    return 0;
}
