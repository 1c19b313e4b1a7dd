"""Shared setup of the binding tests: where libhrm and the plugins are.

CTest sets HRM_LIBRARY, HRM_PLUGIN_PATH and HRM_ABI_LAYOUT (bindings/python/CMakeLists.txt). Run
by hand, set them the same way, e.g. for a build in ./build:
    HRM_LIBRARY=$PWD/build/lib/libhrm.so HRM_PLUGIN_PATH=$PWD/build/plugins \
    HRM_ABI_LAYOUT=$PWD/build/bindings/python/hrm_python_abi_layout python3 -m unittest discover -s bindings/python/tests
"""
import os
import sys

# Test the package of this source tree, not an installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import hrm  # noqa: E402

PLUGIN_PATH = os.environ.get("HRM_PLUGIN_PATH", "")

# A 4x4 Sudoku HRM small enough to create and run in milliseconds (vocab 6, seq_len 16: the
# sudoku4 task). Untrained: it solves nothing, which is fine for testing the plumbing.
TINY_SUDOKU4_MODEL = {
    "model": {
        "arch": "hrm", "hidden_size": 32, "num_heads": 2, "expansion": 2.0, "h_layers": 1, "l_layers": 1,
        "h_cycles": 2, "l_cycles": 2, "pos_encodings": "rope", "puzzle_emb_ndim": 32, "halt_max_steps": 4,
        "halt_exploration_prob": 0.1, "vocab_size": 6, "seq_len": 16, "num_puzzle_identifiers": 1,
    }
}


def runtime(**kwargs):
    """A runtime with the plugins of the build (threads: 2, the test machines are small)."""
    kwargs.setdefault("n_threads", 2)
    return hrm.Runtime(**kwargs)
