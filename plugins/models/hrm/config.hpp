// The HRM model config: the [model] table of a TOML file (schema shared with the PyTorch parity
// oracle tests/parity/hrm_reference.py). Field meanings and defaults follow spec 1.1.
#pragma once

#include <cstdint>
#include <string>

namespace hrm::models::hrm_model {

struct Config {
    std::string arch = "hrm";
    int64_t hidden_size = 512;
    int64_t num_heads = 8;
    double expansion = 4.0;
    int64_t h_layers = 4;
    int64_t l_layers = 4;
    int64_t h_cycles = 2;
    int64_t l_cycles = 2;
    std::string pos_encodings = "rope";   // "rope" | "learned"
    double rope_theta = 10000.0;
    double rms_norm_eps = 1e-5;
    int64_t puzzle_emb_ndim = 512;        // 0 disables the puzzle embedding
    int64_t halt_max_steps = 16;
    double halt_exploration_prob = 0.1;
    int64_t vocab_size = 11;
    int64_t seq_len = 81;
    int64_t num_puzzle_identifiers = 1;

    // Derived sizes (spec 1.1).
    int64_t head_dim() const { return hidden_size / num_heads; }
    // P = ceil(puzzle_emb_ndim / hidden_size); 0 without a puzzle embedding.
    int64_t prefix_len() const { return (puzzle_emb_ndim + hidden_size - 1) / hidden_size; }
    int64_t total_len() const { return seq_len + prefix_len(); }   // L = S + P
    // SwiGLU width: round(expansion·D·2/3) (Python round: half to even), up to a multiple of 256.
    int64_t intermediate_size() const;
    bool learned_positions() const { return pos_encodings == "learned"; }

    // Trainable parameters as the reference counts them (spec 1.8; puzzle_emb, H_init, L_init excluded).
    int64_t n_params() const;
    // Forward FLOPs of one ACT segment of one instance (spec 1.9 arithmetic).
    double flops_per_segment() const;

    // Canonical TOML text ([model] table, fixed key order, shortest round-trip floats).
    std::string to_toml() const;
};

// Parse TOML text. Keys may sit in a [model] table or at the top level; unknown keys, wrong types
// and invalid values are errors (hrm::plugin::Error, HRM_E_FORMAT / HRM_E_INVALID_ARG) whose
// message names `source` (a file name or "<config>"), the line and the key.
Config parse_config(const std::string &text, const std::string &source = "<config>");

// Check value ranges and consistency; throws naming the key.
void validate(const Config &c, const std::string &source = "<config>");

}  // namespace hrm::models::hrm_model
