#!/usr/bin/env bash
# Crash-safety soak of `hrm train` (docs/reliability.md, "Training survives kill -9"):
#
#   scripts/soak-train.sh --kills K [--steps N] [--seed S] [--build DIR] [--keep]
#
# Trains a small Sudoku-4x4 HRM (N steps, default 300, a checkpoint every 5 steps) once without
# interruption, then again under SIGKILL: K times the run is killed at a random moment (about a
# third of the kills aimed at checkpoint writes: as soon as a step folder is being written) and
# resumed from its folder. After every kill `latest` must name a complete step folder; at the end
# the final model.safetensors and train_state.safetensors must equal the uninterrupted run's byte
# for byte, and no temporary checkpoint folder or file may be left. Exit 0 when all of that holds.
#
# Needs a release build with the runner and plugins (cmake --preset release && cmake --build
# --preset release --target hrm_tools) and a CPU the kernels run on.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
kills="" steps=300 seed=$$ build=$ROOT/build keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --kills) kills=${2:?}; shift ;;
        --steps) steps=${2:?}; shift ;;
        --seed) seed=${2:?}; shift ;;
        --build) build=${2:?}; shift ;;
        --keep) keep=1 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak-train.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
[[ "$kills" =~ ^[0-9]+$ ]] || { echo "soak-train.sh: --kills K is required" >&2; exit 2; }
HRM=$build/bin/hrm
[ -x "$HRM" ] || { echo "soak-train.sh: $HRM not built (cmake --build --preset release --target hrm_tools)" >&2; exit 2; }
export HRM_PLUGIN_PATH=$build/plugins
RANDOM=$seed

work=$(mktemp -d "${TMPDIR:-/tmp}/hrm-soak.XXXXXX")
cleanup() { [ $keep = 1 ] && echo "soak-train.sh: work folder kept: $work" || rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

"$HRM" dataset build sudoku4 --train 256 --test 32 --seed 1 -o data >/dev/null
cat >soak.toml <<EOF
[model]
arch = "hrm"
hidden_size = 32
num_heads = 2
expansion = 2.0
h_layers = 1
l_layers = 1
h_cycles = 2
l_cycles = 2
pos_encodings = "rope"
puzzle_emb_ndim = 32
halt_max_steps = 4
halt_exploration_prob = 0.1

[train]
data = "data"
global_batch_size = 32
steps = $steps
lr = 2e-3
lr_warmup_steps = 10
eval_interval = 0
checkpoint_interval = 5
log_interval = 1000
seed = 3
threads = 2
shard_size = 16
EOF

final() { echo "step_$steps"; }

# 1. The uninterrupted reference.
"$HRM" train soak.toml -o ref >ref.log 2>&1 || { cat ref.log; echo "soak-train.sh: the reference run failed" >&2; exit 1; }

# 2. The same run, killed K times.
check_latest() {
    [ -f soak/latest ] || return 0   # killed before the first checkpoint
    local name
    name=$(tr -d '\n' <soak/latest)
    [ -f "soak/$name/model.safetensors" ] && [ -f "soak/$name/train_state.safetensors" ] || {
        echo "soak-train.sh: after a kill, latest names '$name', which is not a complete step folder" >&2
        exit 1
    }
}
start() {
    if [ -f soak/latest ]; then "$HRM" train soak.toml -o soak --resume soak >>soak.log 2>&1 &
    else "$HRM" train soak.toml -o soak >>soak.log 2>&1 & fi
    pid=$!
}
at_checkpoint=0
for ((k = 1; k <= kills; k++)); do
    start
    if [ $((RANDOM % 3)) = 0 ]; then
        # Aim at a checkpoint write: kill as soon as a temporary step folder shows up.
        for _ in $(seq 1 4000); do
            compgen -G "soak/.step_*.tmp.*" >/dev/null && break
            kill -0 $pid 2>/dev/null || break
            sleep 0.005
        done
        at_checkpoint=$((at_checkpoint + 1))
    else
        sleep "$((RANDOM % 2)).$((RANDOM % 1000))"
    fi
    if kill -0 $pid 2>/dev/null; then kill -9 $pid; fi
    wait $pid 2>/dev/null || true
    check_latest
    if grep -q "^checkpoint .*$(final)\$" soak.log 2>/dev/null && [ -f "soak/$(final)/model.safetensors" ]; then
        echo "soak-train.sh: the run finished after $k kills; use more --steps for more kills" >&2
        break
    fi
done

# 3. Finish, then compare.
"$HRM" train soak.toml -o soak --resume soak >>soak.log 2>&1 || { tail -20 soak.log; echo "soak-train.sh: the final resume failed" >&2; exit 1; }
status=0
for f in model.safetensors train_state.safetensors; do
    if ! cmp -s "ref/$(final)/$f" "soak/$(final)/$f"; then
        echo "soak-train.sh: $(final)/$f differs from the uninterrupted run" >&2
        status=1
    fi
done
leftovers=$(find soak -name '*.tmp.*' | head -5)
if [ -n "$leftovers" ]; then
    echo "soak-train.sh: temporary checkpoint files left behind: $leftovers" >&2
    status=1
fi
echo "soak-train.sh: $kills kill(s) ($at_checkpoint aimed at checkpoint writes), $steps steps: $([ $status = 0 ] && echo "final weights and state identical" || echo FAILED)"
exit $status
