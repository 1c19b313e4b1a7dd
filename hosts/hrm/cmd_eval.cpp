// hrm eval CHECKPOINT --data DIR: the reference evaluation (spec 2.4, 5.1) of a checkpoint on the
// test split of a dataset: every puzzle runs halt_max_steps segments; exact accuracy, token
// accuracy, Q-halt accuracy and mean steps over the real (unpadded) puzzles. CHECKPOINT is a
// training checkpoint directory (its `latest`), a step folder, or a model .safetensors file. When
// the training kept an EMA of the weights, the EMA is evaluated, as during training. Under mpirun
// the test batches are shared out over the ranks and the metrics equal one process's (same --batch
// and --threads; docs/distributed.md); rank 0 prints them.
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
            (i + 1 < argc && std::string_view(argv[i]) == "--task" && std::string_view(argv[i + 1]) == "arc")) {
            if (world().size() > 1)
                throw std::runtime_error("the ARC evaluation runs in one process; start it without mpirun");
            return cmd_arc_eval(argc, argv);
        }
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

    const fs::path split_dir = fs::exists(fs::path(data) / "test" / "dataset.json") ? fs::path(data) / "test" : fs::path(data);
    const hrm::data::Split test = hrm::data::read_split(split_dir.string());

    hrm::Runtime runtime = open_runtime(common, threads);
    ModelSource source;
    hrm::Instance instance = open_model(runtime, checkpoint, config, no_ema ? Weights::Raw : Weights::Default, &source);
    hrm::train::ModelRef model(instance.model(), {hrm_status_code, hrm_status_message, hrm_status_free}, false);
    const bool ema = !source.state_file.empty();

    hrm::train::EngineConfig ec;
    ec.global_batch_size = batch;
    ec.eval_batch_size = batch;
    ec.threads = threads > 0 ? threads : 1;
    ec.shard_size = std::max<int64_t>(1, (batch + ec.threads - 1) / ec.threads);
    ec.precision = precision.empty() ? model.spec().default_precision
                                     : (precision == "bf16" ? HRM_PRECISION_BF16 : HRM_PRECISION_FP32);
    ec.comm = &world();
    hrm::train::Engine engine(model, ec, nullptr, &test);
    const auto m = engine.evaluate();
    if (world().rank() != 0) return 0;
    if (json) {
        std::cout << "{\"count\": " << m.count << ", \"exact_accuracy\": " << m.exact_accuracy << ", \"accuracy\": "
                  << m.accuracy << ", \"q_halt_accuracy\": " << m.q_halt_accuracy << ", \"steps\": " << m.steps
                  << ", \"lm_loss\": " << m.lm_loss << ", \"q_halt_loss\": " << m.q_halt_loss << ", \"ema\": "
                  << (ema ? "true" : "false") << "}\n";
    } else {
        std::cout << source.describe() << " on " << split_dir.string() << ": " << m.count
                  << " puzzles\n  exact accuracy   " << m.exact_accuracy << "\n  token accuracy   " << m.accuracy
                  << "\n  q-halt accuracy  " << m.q_halt_accuracy << "\n  mean steps       " << m.steps
                  << "\n  lm loss          " << m.lm_loss << "\n  q-halt loss      " << m.q_halt_loss << "\n";
    }
    return 0;
}
