#!/usr/bin/env bash
# The main job from a fresh checkout: dependencies, a Release build of the runner and its plugins,
# then a batch solve of bundled held-out 9x9 Sudoku puzzles with the bundled model
# (models/sudoku.safetensors, card: models/sudoku.md) and the `verify` policy, showing a few solved
# grids (givens told from the cells the model filled in) and the summary (solved rate, puzzles/s).
# `hrm solve` names the model it runs, read from the model file (architecture, parameters); the
# script itself never says which architecture it is, so it cannot go stale when the model changes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release --target hrm_tools -j "$(nproc)"

puzzles=models/sudoku-heldout.txt
echo
echo "== Solving $(grep -c . "$puzzles") held-out Sudoku puzzles with the bundled model (card: models/sudoku.md) =="
build/bin/hrm solve --task sudoku --policy verify --show 3 --input "$puzzles" -o build/solved.jsonl
echo "one JSON line per puzzle (solution, segments, q, verified, time): build/solved.jsonl"
echo
echo "Solve your own: build/bin/hrm solve --task sudoku --policy verify --show 1 mine.txt" \
  "(one 81-character puzzle per line, '.' or 0 for a blank, or CSV; more in docs/quickstart.md)"
