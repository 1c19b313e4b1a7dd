// The config of the recursive-model family (HRM, TRM, the plain-transformer baseline): the [model]
// table of a TOML file. One struct holds every key; `arch` decides which keys a file may set, their
// defaults and the network layout. Schema shared with the PyTorch parity oracles
// (tests/parity/hrm_reference.py, trm_reference.py). HRM field meanings follow spec 1.1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hrm/hrm_model.h"

namespace hrm::models::core {

// The model classes that share this code.
enum class Arch { Hrm, Trm, Transformer };

// One weight-sharing stack of post-norm blocks: its state-dict prefix ("H_level") and depth.
struct NetSpec {
    std::string name;
    int64_t layers;
};

struct Config {
    std::string arch = "hrm";   // "hrm" | "trm" | "transformer"
    int64_t hidden_size = 512;
    int64_t num_heads = 8;
    double expansion = 4.0;
    int64_t h_layers = 4;        // hrm
    int64_t l_layers = 4;        // hrm
    int64_t layers = 0;          // trm (the one network), transformer (the stack)
    int64_t h_cycles = 2;        // hrm, trm (T); the transformer runs one pass: fixed 1
    int64_t l_cycles = 2;        // hrm, trm (n); the transformer has no L update: fixed 0
    bool mlp_t = false;          // trm: SwiGLU across the sequence instead of attention
    std::string pos_encodings = "rope";   // "rope" | "learned" | "none" (none: trm, transformer)
    double rope_theta = 10000.0;
    double rms_norm_eps = 1e-5;
    int64_t puzzle_emb_ndim = 512;        // 0 disables the puzzle embedding
    int64_t puzzle_emb_len = 0;           // prefix positions; 0 = ceil(ndim / D) (trm default 16)
    int64_t halt_max_steps = 16;
    double halt_exploration_prob = 0.1;
    bool no_act_continue = false;         // trm default true: halting head only (no q_continue)
    int64_t vocab_size = 11;
    int64_t seq_len = 81;
    int64_t num_puzzle_identifiers = 1;

    // The defaults of an arch (the reference configs: hrm_v1.yaml, trm.yaml).
    static Config defaults(const std::string &arch);
    Arch kind() const;

    // Derived sizes (spec 1.1).
    int64_t head_dim() const { return hidden_size / num_heads; }
    // P: puzzle_emb_len if set, else ceil(puzzle_emb_ndim / hidden_size); 0 without a puzzle embedding.
    int64_t prefix_len() const;
    int64_t total_len() const { return seq_len + prefix_len(); }   // L = S + P
    // SwiGLU width for a hidden size h: round(expansion·h·2/3) (Python round: half to even), up
    // to a multiple of 256. intermediate_size() is the channel MLP's (h = D), mlp_t_size() the
    // sequence MLP's (h = L).
    int64_t swiglu_size(int64_t h) const;
    int64_t intermediate_size() const { return swiglu_size(hidden_size); }
    int64_t mlp_t_size() const { return swiglu_size(total_len()); }
    bool learned_positions() const { return pos_encodings == "learned"; }
    bool rope() const { return pos_encodings == "rope" && !mlp_t; }

    // The networks, in state-dict order, and which one each update level runs (-1: the level does
    // not exist for this arch).
    std::vector<NetSpec> nets() const;
    int net_of(hrm_level level) const;
    // Whether the carry has z_L (the transformer carries z_H only).
    bool has_z_l() const { return kind() != Arch::Transformer; }
    // Number of trailing updates of a segment that are differentiated: HRM's one-step gradient
    // (last L and H: 2), TRM's last full recursion (n + 1), the transformer's one pass (1).
    int64_t grad_updates() const;

    // Trainable parameters as the reference counts them (spec 1.8; puzzle_emb, H_init, L_init excluded).
    int64_t n_params() const;
    // Forward FLOPs of one ACT segment of one instance (spec 1.9 arithmetic).
    double flops_per_segment() const;

    // Canonical TOML text ([model] table, the arch's keys in a fixed order, shortest round-trip floats).
    std::string to_toml() const;
};

// Parse TOML text. Keys may sit in a [model] table or at the top level; `arch` defaults to
// default_arch. Keys the arch does not have, unknown keys, wrong types and invalid values are
// errors (hrm::plugin::Error, HRM_E_FORMAT / HRM_E_INVALID_ARG) whose message names `source` (a
// file name or "<config>"), the line and the key.
Config parse_config(const std::string &text, const std::string &source = "<config>",
                    const std::string &default_arch = "hrm");

// Check value ranges and consistency; throws naming the key.
void validate(const Config &c, const std::string &source = "<config>");

}  // namespace hrm::models::core
