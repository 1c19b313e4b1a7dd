'use strict';
// Shared setup of the tests: CTest sets HRM_LIBRARY, HRM_PLUGIN_PATH and HRM_ABI_LAYOUT
// (bindings/node/CMakeLists.txt); by hand, after a build in build/, run from bindings/node:
//   HRM_PLUGIN_PATH=$PWD/../../build/plugins npm test
const path = require('path');
const hrm = require('..');

const REPOSITORY = path.resolve(__dirname, '..', '..', '..');

// A 4x4 Sudoku HRM small enough to create and run in milliseconds (the sudoku4 task's vocab 6 and
// seq_len 16). Untrained: it solves nothing, which is fine for testing the plumbing.
const TINY_SUDOKU4_MODEL = {
  model: {
    arch: 'hrm', hidden_size: 32, num_heads: 2, expansion: 2.0, h_layers: 1, l_layers: 1, h_cycles: 2, l_cycles: 2,
    pos_encodings: 'rope', puzzle_emb_ndim: 32, halt_max_steps: 4, halt_exploration_prob: 0.1, vocab_size: 6,
    seq_len: 16, num_puzzle_identifiers: 1,
  },
};

// A runtime with the plugins of the build (2 threads: the test machines are small).
function runtime(options = {}) {
  return new hrm.Runtime({ threads: 2, ...options });
}

module.exports = { hrm, REPOSITORY, TINY_SUDOKU4_MODEL, runtime };
