#!/usr/bin/env bash
# The main job from a fresh checkout: dependencies, a Release build of the runner and its plugins,
# then a batch solve of the bundled held-out puzzles showing a few solved grids and the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release --target hrm_tools -j "$(nproc)"

puzzles=plugins/tasks/sudoku/examples/top1465-first100.txt
echo
echo "== Batch-solving $(wc -l < "$puzzles") hard Sudoku puzzles (top1465) with the exact solver =="
build/bin/hrm oracle --task sudoku --show "$puzzles" > build/solved.txt
head -n 39 build/solved.txt   # the first three solved grids
build/bin/hrm oracle --task sudoku --stats "$puzzles" > build/solutions.txt 2> /dev/null
echo "all solutions, with solution counts and difficulty ratings: build/solutions.txt"
