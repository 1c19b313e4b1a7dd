#!/usr/bin/env bash
# Build and run the libFuzzer targets of fuzz/ (docs/reliability.md, "Fuzzing").
#
#   scripts/fuzz.sh --list                     the target names, one a line
#   scripts/fuzz.sh --seconds S [TARGET...]    build (preset fuzz), run each target S seconds
#   scripts/fuzz.sh --runs N [TARGET...]       same, N executions each
#   options: --jobs J (fuzzers side by side, default 1), --no-build, --nice (run at nice 10),
#            --cap S (with --runs: stop a target after S seconds even if N is not reached)
#
# Seeds: fuzz/corpus/<target>/ plus the tests/data files each target reads (prepared into
# build-fuzz/seeds/<target>/). What the fuzzer finds on its way is kept in build-fuzz/corpus/<target>/
# (reused by the next run). A crash, a sanitizer report, a timeout (> 10 s for one input) or an
# allocation over 2 GB is a finding: the input lands in build-fuzz/findings/<target>/, the run goes
# on with the other targets, and the script exits 1 at the end. Installs what it builds with
# (scripts/install-deps.sh --fuzz: clang-14, libFuzzer, clang's sanitizer and OpenMP runtimes).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build-fuzz

targets_all() {
    for f in "$ROOT"/fuzz/*.cpp; do basename "$f" .cpp; done
}

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

mode="" amount="" jobs=1 build=1 cap="" nice_cmd=()
selected=()
while [ $# -gt 0 ]; do
    case "$1" in
        --list) targets_all; exit 0 ;;
        --seconds) mode=seconds; amount=${2:?--seconds needs a number}; shift ;;
        --runs) mode=runs; amount=${2:?--runs needs a number}; shift ;;
        --jobs) jobs=${2:?--jobs needs a number}; shift ;;
        --cap) cap=${2:?--cap needs a number}; shift ;;
        --no-build) build=0 ;;
        --nice) nice_cmd=(nice -n 10) ;;
        -h|--help) usage ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; usage ;;
        *) selected+=("$1") ;;
    esac
    shift
done
[ -n "$mode" ] || usage
[[ "$amount" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: '$amount' is not a whole number" >&2; exit 2; }
if [ ${#selected[@]} -eq 0 ]; then mapfile -t selected < <(targets_all); fi
for t in "${selected[@]}"; do
    [ -f "$ROOT/fuzz/$t.cpp" ] || { echo "fuzz.sh: no target '$t' (see --list)" >&2; exit 2; }
done

if [ $build = 1 ]; then
    # What the build needs, installed when missing (as scripts/test.sh does).
    "$ROOT/scripts/install-deps.sh" --fuzz
    (cd "$ROOT" && cmake --preset fuzz >/dev/null && "${nice_cmd[@]}" cmake --build --preset fuzz)
fi

# ---- seeds -------------------------------------------------------------------------------------
# prefix BYTE FILE...: copy with a leading selector byte (the plugin targets' class choice).
prefix() {
    local byte=$1 dir=$2; shift 2
    for f in "$@"; do [ -f "$f" ] && { printf "\\x$byte"; cat "$f"; } >"$dir/$byte-$(basename "$f")"; done
}
copy() {
    local dir=$1; shift
    for f in "$@"; do
        [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 300000 ] && cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    return 0
}
seeds() {
    local t=$1 dir=$BUILD/seeds/$1 d=$ROOT/tests/data
    rm -rf "$dir" && mkdir -p "$dir"
    [ -d "$ROOT/fuzz/corpus/$t" ] && cp "$ROOT/fuzz/corpus/$t"/* "$dir/" 2>/dev/null || true
    shopt -s nullglob
    case $t in
        safetensors) copy "$dir" "$d"/parity/*/*.safetensors ;;
        npy) copy "$dir" "$d"/dataset/*/*/*.npy "$d"/parity/small/*.npy ;;
        torch_zip) copy "$dir" "$ROOT"/tests/models/data/*.pt ;;
        yaml)
            local n=0
            for f in "$d"/convert/*/checkpoints/*/*/all_config.yaml; do n=$((n + 1)); cp "$f" "$dir/all_config-$n.yaml"; done ;;
        pickle)
            for f in "$ROOT"/tests/models/data/*.pt; do
                python3 - "$f" "$dir/$(basename "$f" .pt).pkl" <<'EOF'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
open(sys.argv[2], "wb").write(z.read(name))
EOF
            done ;;
        dataset_json) copy "$dir" "$d"/dataset/*/*/dataset.json ;;
        dataset_arrays)
            for split in "$d"/dataset/*/train "$d"/dataset/*/test; do
                local out=$dir/$(basename "$(dirname "$split")")-$(basename "$split")
                : >"$out"
                local first=1
                for f in dataset.json all__inputs.npy all__labels.npy all__puzzle_identifiers.npy \
                         all__puzzle_indices.npy all__group_indices.npy ../identifiers.json; do
                    [ $first = 1 ] || printf '\n--8<--\n' >>"$out"
                    cat "$split/$f" >>"$out"
                    first=0
                done
            done ;;
        movingai_map) copy "$dir" "$d"/gridnav/*.map ;;
        movingai_scen)
            for s in "$d"/gridnav/*.scen; do
                local m=${s%.scen}
                [ -f "$m" ] || m=$(echo "$s" | sed 's/-random-1\.scen$/.map/')
                [ -f "$m" ] && { cat "$m"; printf '\0'; cat "$s"; } >"$dir/$(basename "$s")"
            done ;;
        arc_task) copy "$dir" "$d"/arc/*/*/*.json ;;
        task_arc) prefix 00 "$dir" "$d"/arc/*/*/*.json ;;
        task_sudoku)
            prefix 00 "$dir" "$d"/tasks/*.txt "$ROOT"/plugins/tasks/sudoku/examples/*.txt
            printf '\x011.3.\n..1.\n.1..\n...1\n' >"$dir/01-sudoku4.txt"
            printf '\x00[[0,0,3,0,2,0,6,0,0],[9,0,0,3,0,5,0,0,1],[0,0,1,8,0,6,4,0,0],[0,0,8,1,0,2,9,0,0],[7,0,0,0,0,0,0,0,8],[0,0,6,7,0,8,2,0,0],[0,0,2,6,0,9,5,0,0],[8,0,0,2,0,3,0,0,9],[0,0,5,0,1,0,3,0,0]]\n' >"$dir/00-json.txt" ;;
        config_runner) copy "$dir" "$ROOT"/configs/train/*.toml ;;
        config_model) prefix 00 "$dir" "$ROOT"/configs/models/hrm-*.toml; prefix 01 "$dir" "$ROOT"/configs/models/trm-*.toml
                      prefix 02 "$dir" "$ROOT"/configs/models/transformer-*.toml ;;
    esac
    shopt -u nullglob
}

# ---- run ---------------------------------------------------------------------------------------
mkdir -p "$BUILD/logs"
run_one() {
    local t=$1 bin=$BUILD/fuzz/fuzz_$1
    [ -x "$bin" ] || { echo "$t: $bin is not built" >&2; return 1; }
    seeds "$t"
    mkdir -p "$BUILD/corpus/$t" "$BUILD/findings/$t"
    local limit
    if [ $mode = seconds ]; then limit=(-max_total_time="$amount"); else limit=(-runs="$amount"); fi
    [ -z "$cap" ] || limit+=(-max_total_time="$cap")
    local log=$BUILD/logs/$t.log start=$SECONDS rc=0
    # -timeout: one input taking > 10 s is a hang; -rss_limit_mb/-malloc_limit_mb: asking for more
    # than 2 GB is an unbounded size (issue #24 item 7). detect_leaks off: the plugin runtimes are
    # process-wide statics on purpose.
    ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "${nice_cmd[@]}" "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$BUILD/findings/$t/" \
        "$BUILD/corpus/$t" "$BUILD/seeds/$t" >"$log" 2>&1 || rc=$?
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    printf '%-16s %s  execs %-10s %5ds  %s\n' "$t" "$([ $rc = 0 ] && echo ok || echo FINDING)" "${execs:-?}" \
        $((SECONDS - start)) "$([ $rc = 0 ] || echo "see $log")"
    return $rc
}

failed=()
if [ "$jobs" -le 1 ]; then
    for t in "${selected[@]}"; do run_one "$t" || failed+=("$t"); done
else
    # Side by side, at most $jobs at a time; the results are printed in target order at the end.
    for t in "${selected[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
        (rc=0; run_one "$t" >"$BUILD/logs/$t.summary" 2>&1 || rc=$?; echo $rc >"$BUILD/logs/$t.rc") &
    done
    wait
    for t in "${selected[@]}"; do
        cat "$BUILD/logs/$t.summary"
        [ "$(cat "$BUILD/logs/$t.rc")" = 0 ] || failed+=("$t")
    done
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: findings in ${failed[*]} (inputs in $BUILD/findings/<target>/)" >&2
    exit 1
fi
echo "fuzz.sh: ${#selected[@]} target(s), no findings"
