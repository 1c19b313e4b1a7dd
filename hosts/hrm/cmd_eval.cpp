// hrm eval CHECKPOINT --data DIR: the reference evaluation (spec 2.4, 5.1) of a checkpoint on the
// test split of a dataset: every puzzle runs halt_max_steps segments; exact accuracy, token
// accuracy, Q-halt accuracy and mean steps over the real (unpadded) puzzles. CHECKPOINT is a
// training checkpoint directory (its `latest`), a step folder, or a model .safetensors file. When
// the training kept an EMA of the weights, the EMA is evaluated, as during training.
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string_view>

#include <hrm/common/safetensors.hpp>
#include <hrm/train/checkpoint.hpp>
#include <hrm/train/engine.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "model_file.hpp"

using namespace hrm::runner;
namespace fs = std::filesystem;

int cmd_eval(int argc, char **argv) {
    // ARC is scored from predictions with voting over augmentations (cmd_arc.cpp).
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == "--task=arc" ||
            (i + 1 < argc && std::string_view(argv[i]) == "--task" && std::string_view(argv[i + 1]) == "arc"))
            return cmd_arc_eval(argc, argv);
    CommonOptions common;
    std::string checkpoint, data, precision;
    int64_t batch = 64;
    int threads = 0;
    bool json = false, no_ema = false;
    po::options_description opts("hrm eval options");
    opts.add_options()
        ("checkpoint", po::value(&checkpoint)->required(), "checkpoint directory, step folder or .safetensors file")
        ("data,d", po::value(&data)->required(), "dataset folder (its test/ split) or a split folder")
        ("batch", po::value(&batch), "puzzles per batch (default 64)")
        ("threads", po::value(&threads), "worker threads (default: all cores)")
        ("precision", po::value(&precision), "fp32 or bf16 (default: the model's)")
        ("no-ema", po::bool_switch(&no_ema), "evaluate the raw weights even when the checkpoint has an EMA")
        ("json", po::bool_switch(&json), "print the metrics as one JSON object");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("checkpoint", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm eval CHECKPOINT --data DIR", opts, pos, vm); rc >= 0) return rc;
    if (batch < 1 || (!precision.empty() && precision != "fp32" && precision != "bf16")) {
        std::cerr << "hrm eval: --batch must be >= 1 and --precision fp32 or bf16\n";
        return 2;
    }
    const Config config = load_config(common);

    std::string model_path = checkpoint, step_dir;
    if (!fs::is_regular_file(checkpoint)) {
        step_dir = hrm::train::resolve_checkpoint(checkpoint);
        model_path = (fs::path(step_dir) / hrm::train::kModelFile).string();
    }
    const fs::path split_dir = fs::exists(fs::path(data) / "test" / "dataset.json") ? fs::path(data) / "test" : fs::path(data);
    const hrm::data::Split test = hrm::data::read_split(split_dir.string());

    hrm::Runtime runtime = open_runtime(common, threads);
    hrm::Instance instance = open_model(runtime, model_path, config);
    hrm::train::ModelRef model(instance.model(), {hrm_status_code, hrm_status_message, hrm_status_free}, false);

    // The EMA weights of a training checkpoint replace the trainable values (needs writable views,
    // i.e. a model with the training extension).
    bool ema = false;
    const fs::path state = step_dir.empty() ? fs::path() : fs::path(step_dir) / hrm::train::kStateFile;
    if (!no_ema && !state.empty() && fs::exists(state)) {
        const hrm::common::SafetensorsFile st(state.string());
        for (hrm::train::Param &p : model.params()) {
            const auto *t = p.trainable ? st.find("ema." + p.name) : nullptr;
            if (!t) continue;
            if (t->nbytes != size_t(p.numel) * sizeof(float)) throw std::runtime_error(state.string() + ": EMA of " + p.name + " has the wrong size");
            std::memcpy(p.f32(), t->data, t->nbytes);
            ema = true;
        }
        if (ema) model.params_changed();
    }

    hrm::train::EngineConfig ec;
    ec.global_batch_size = batch;
    ec.eval_batch_size = batch;
    ec.threads = threads > 0 ? threads : 1;
    ec.shard_size = std::max<int64_t>(1, (batch + ec.threads - 1) / ec.threads);
    ec.precision = precision.empty() ? model.spec().default_precision
                                     : (precision == "bf16" ? HRM_PRECISION_BF16 : HRM_PRECISION_FP32);
    hrm::train::Engine engine(model, ec, nullptr, &test);
    const auto m = engine.evaluate();
    if (json) {
        std::cout << "{\"count\": " << m.count << ", \"exact_accuracy\": " << m.exact_accuracy << ", \"accuracy\": "
                  << m.accuracy << ", \"q_halt_accuracy\": " << m.q_halt_accuracy << ", \"steps\": " << m.steps
                  << ", \"lm_loss\": " << m.lm_loss << ", \"q_halt_loss\": " << m.q_halt_loss << ", \"ema\": "
                  << (ema ? "true" : "false") << "}\n";
    } else {
        std::cout << model_path << (ema ? " (EMA weights)" : "") << " on " << split_dir.string() << ": " << m.count
                  << " puzzles\n  exact accuracy   " << m.exact_accuracy << "\n  token accuracy   " << m.accuracy
                  << "\n  q-halt accuracy  " << m.q_halt_accuracy << "\n  mean steps       " << m.steps
                  << "\n  lm loss          " << m.lm_loss << "\n  q-halt loss      " << m.q_halt_loss << "\n";
    }
    return 0;
}
