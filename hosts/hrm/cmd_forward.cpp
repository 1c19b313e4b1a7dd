// hrm forward --model M.safetensors --inputs X.npy [--puzzle-ids P.npy] --segments N
//             --precision fp32|bf16|int8 --out DIR
//
// Runs the evaluation rollout of the reference (spec 2.2, eval branch): every row starts from the
// initial carry and runs exactly N ACT segments, each the module schedule of hrm_model.h
// (l_cycles L updates then one H update, h_cycles times). Writes logits_1.npy [B,S,V] F32,
// q_1.npy [B,2] (q_halt, q_continue), and logits_N.npy, q_N.npy, pred_N.npy [B,S] I32 (argmax,
// first max wins) — the layout of the parity fixtures in tests/data/parity.
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>

#include <hrm/common/npy.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "model_file.hpp"

using namespace hrm::runner;
using hrm::common::DType;

int cmd_forward(int argc, char **argv) {
    CommonOptions common;
    std::string model_path, inputs_path, pids_path, precision = "fp32", out_dir;
    int segments = 0;
    int64_t batch_size = 0;
    bool no_ema = false;
    po::options_description opts("hrm forward options");
    opts.add_options()
        ("model,m", po::value(&model_path)->required(), "model .safetensors, step folder or run folder (a training checkpoint's EMA when it has one)")
        ("no-ema", po::bool_switch(&no_ema), "a training checkpoint's raw weights, not its EMA")
        ("inputs,i", po::value(&inputs_path)->required(), "token ids [B, S] int32 .npy")
        ("puzzle-ids", po::value(&pids_path), "puzzle identifiers [B] int32 .npy (default: all 0)")
        ("segments,n", po::value(&segments)->required(), "ACT segments to run (the reference evaluates halt_max_steps)")
        ("precision", po::value(&precision), "fp32 (reference mode, default), bf16 or int8")
        ("batch-size", po::value(&batch_size), "rows per state (default: all rows at once)")
        ("out,o", po::value(&out_dir)->required(), "output folder");
    add_common_options(opts, common);
    po::variables_map vm;
    const std::string usage = "hrm forward --model M.safetensors --inputs X.npy [--puzzle-ids P.npy] --segments N "
                              "--precision fp32|bf16|int8 --out DIR";
    if (int rc = parse_args(argc, argv, usage, opts, po::positional_options_description(), vm); rc >= 0) return rc;
    // Bounded like the model's halt_max_steps (plugins/models/common/config.cpp): 10^6 segments
    // ran without end (issue #24).
    if (segments < 1 || segments > 4096) {
        std::cerr << "hrm forward: --segments must be in 1..4096\n";
        return 2;
    }
    const auto parsed = parse_precision_name(precision);
    if (!parsed) {
        std::cerr << "hrm forward: --precision must be fp32, bf16 or int8\n";
        return 2;
    }
    const hrm_precision prec = *parsed;

    const hrm::common::NpyArray in = hrm::common::read_npy(inputs_path);
    if (in.shape.size() != 2) throw std::runtime_error(inputs_path + ": expected [B, S], got " + hrm::common::shape_str(in.shape));
    const int64_t B = in.shape[0], S = in.shape[1];
    const std::vector<int32_t> tokens = in.as<int32_t>(DType::I32, inputs_path);
    std::vector<int32_t> pids(size_t(B), 0);
    if (!pids_path.empty()) {
        const hrm::common::NpyArray p = hrm::common::read_npy(pids_path);
        if (p.shape != std::vector<int64_t>{B})
            throw std::runtime_error(pids_path + ": expected [" + std::to_string(B) + "], got " + hrm::common::shape_str(p.shape));
        pids = p.as<int32_t>(DType::I32, pids_path);
    }

    hrm::Runtime runtime = open_runtime(common);
    hrm::Instance instance = open_model(runtime, model_path, load_config(common), no_ema ? Weights::Raw : Weights::Default);
    const hrm_model *m = instance.model();
    hrm_model_spec spec{};
    spec.struct_size = sizeof spec;
    hrm::check(m->get_spec(m, &spec));
    if (S != spec.seq_len)
        throw std::runtime_error(inputs_path + ": " + std::to_string(S) + " tokens per row, the model takes " + std::to_string(spec.seq_len));
    const int64_t V = spec.vocab_size;
    const int64_t chunk = batch_size > 0 ? std::min(batch_size, B) : B;

    std::vector<float> logits_1(size_t(B * S * V)), q_1(size_t(B * 2)), logits_n(size_t(B * S * V)), q_n(size_t(B * 2));
    std::vector<int32_t> pred_n(size_t(B * S));
    for (int64_t r0 = 0; r0 < B; r0 += chunk) {
        const int64_t n = std::min(chunk, B - r0);
        hrm_state *raw = nullptr;
        hrm::check(m->state_create(m, n, prec, &raw));
        std::unique_ptr<hrm_state, std::function<void(hrm_state *)>> st(raw, [m](hrm_state *s) { m->state_free(m, s); });
        std::vector<int32_t> tok(tokens.begin() + r0 * S, tokens.begin() + (r0 + n) * S), pid(pids.begin() + r0, pids.begin() + r0 + n);
        hrm::Tensor tv = hrm::Tensor::of(tok, {n, S}), pv = hrm::Tensor::of(pid, {n});
        hrm::check(m->reset(m, st.get(), nullptr, nullptr));
        hrm::check(m->set_inputs(m, st.get(), nullptr, tv.get(), pv.get()));
        for (int seg = 1; seg <= segments; ++seg) {
            hrm::check(hrm_model_run_segment(m, st.get(), spec.h_cycles, spec.l_cycles));
            if (seg != 1 && seg != segments) continue;
            float *lg = (seg == 1 ? logits_1 : logits_n).data() + r0 * S * V;
            float *q = (seg == 1 ? q_1 : q_n).data() + r0 * 2;
            hrm::Tensor lv(lg, HRM_DTYPE_F32, {n, S, V}), qv(q, HRM_DTYPE_F32, {n, 2});
            hrm::Tensor pr(pred_n.data() + r0 * S, HRM_DTYPE_I32, {n, S});
            hrm::check(m->readout(m, st.get(), lv.get(), seg == segments ? pr.get() : nullptr, qv.get()));
        }
    }
    if (segments == 1) {   // one segment: the "_N" files hold the same outputs
        logits_n = logits_1;
        q_n = q_1;
    }

    std::filesystem::create_directories(out_dir);
    const std::string N = std::to_string(segments);
    hrm::common::write_npy(out_dir + "/logits_1.npy", DType::F32, {B, S, V}, logits_1.data());
    hrm::common::write_npy(out_dir + "/q_1.npy", DType::F32, {B, 2}, q_1.data());
    hrm::common::write_npy(out_dir + "/logits_" + N + ".npy", DType::F32, {B, S, V}, logits_n.data());
    hrm::common::write_npy(out_dir + "/q_" + N + ".npy", DType::F32, {B, 2}, q_n.data());
    hrm::common::write_npy(out_dir + "/pred_" + N + ".npy", DType::I32, {B, S}, pred_n.data());
    std::cout << "wrote " << out_dir << "/{logits_1,q_1,logits_" << N << ",q_" << N << ",pred_" << N << "}.npy (" << B
              << " rows, " << segments << " segments, " << precision << ")\n";
    return 0;
}
