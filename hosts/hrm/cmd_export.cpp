// hrm export RUN_DIR|STEP_DIR -o MODEL.safetensors [--no-ema]
//
// Writes the deployable model of a training checkpoint: model.safetensors with, when the training
// kept an EMA of the weights (the TRM recipe), the EMA values in place of the trainable tensors -
// the weights `hrm eval` and the training's evaluations measured. Buffers, names, dtypes and the
// config metadata are kept, so the result loads wherever a checkpoint's model.safetensors does
// (`hrm solve --model`, `hrm forward`, models/). A file operation: no plugin is loaded.
#include <filesystem>
#include <iostream>

#include <hrm/common/safetensors.hpp>
#include <hrm/train/checkpoint.hpp>

#include "cli.hpp"
#include "commands.hpp"

using namespace hrm::runner;
namespace fs = std::filesystem;

int cmd_export(int argc, char **argv) {
    std::string checkpoint, out_path;
    bool no_ema = false;
    po::options_description opts("hrm export options");
    opts.add_options()
        ("checkpoint", po::value(&checkpoint)->required(), "a training run folder (its latest checkpoint) or a step folder")
        ("out,o", po::value(&out_path)->required(), "the model file to write (.safetensors)")
        ("no-ema", po::bool_switch(&no_ema), "export the raw weights even when the checkpoint has an EMA")
        ("help,h", "show this help");
    po::positional_options_description pos;
    pos.add("checkpoint", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm export RUN_DIR|STEP_DIR -o MODEL.safetensors [--no-ema]", opts, pos, vm);
        rc >= 0)
        return rc;

    const fs::path step = hrm::train::resolve_checkpoint(checkpoint);
    const hrm::common::SafetensorsFile model((step / hrm::train::kModelFile).string());
    const fs::path state_path = step / hrm::train::kStateFile;
    std::unique_ptr<hrm::common::SafetensorsFile> state;
    if (!no_ema && fs::exists(state_path)) state = std::make_unique<hrm::common::SafetensorsFile>(state_path.string());

    std::vector<hrm::common::TensorRef> tensors;
    int64_t replaced = 0;
    for (const auto &t : model.tensors()) {
        const hrm::common::TensorView *ema = state ? state->find("ema." + t.name) : nullptr;
        if (ema && (ema->dtype != t.dtype || ema->shape != t.shape))
            throw std::runtime_error(state_path.string() + ": the EMA of " + t.name + " does not match its dtype or shape");
        tensors.push_back({t.name, t.dtype, t.shape, ema ? ema->data : t.data});
        replaced += ema != nullptr;
    }
    auto metadata = model.metadata();
    metadata["exported_from"] = step.string();
    metadata["weights"] = replaced ? "ema" : "raw";
    hrm::common::write_safetensors(out_path, tensors, metadata);
    std::cout << "wrote " << out_path << ": " << tensors.size() << " tensors from " << step.string()
              << (replaced ? ", " + std::to_string(replaced) + " of them the EMA" : std::string(", raw weights")) << "\n";
    return 0;
}
