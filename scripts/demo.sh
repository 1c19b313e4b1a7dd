#!/usr/bin/env bash
# The main job from a fresh checkout: dependencies, a Release build of the runner and its plugins,
# then a batch solve of bundled held-out 9x9 Sudoku puzzles with the bundled model
# (models/sudoku.safetensors, card: models/sudoku.md) and the `verify` policy, showing a few solved
# grids and the summary (solved rate, puzzles/s). The exact solver then checks the model's answers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release --target hrm_tools -j "$(nproc)"

puzzles=models/sudoku-heldout.txt
echo
echo "== Solving $(grep -c . "$puzzles") held-out Sudoku puzzles with the bundled HRM (models/sudoku.md) =="
build/bin/hrm solve --task sudoku --policy verify --show 3 --input "$puzzles" -o build/solved.jsonl
echo "one JSON line per puzzle (solution, segments, q, verified, time): build/solved.jsonl"
