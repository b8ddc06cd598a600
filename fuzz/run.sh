#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fuzz/run.sh: builds and runs goro's libFuzzer harness (fuzz/fuzz_chan.c).
#
#   fuzz/run.sh build            configure and build build/fuzz (clang, ASan+UBSan, libFuzzer)
#   fuzz/run.sh short [SECONDS]  replay fuzz/regressions/ and fuzz/corpus/, then fuzz
#                                SECONDS (FUZZ_SHORT_TIME, default 60): what CI runs
#   fuzz/run.sh long [SECONDS]   the same for SECONDS (FUZZ_TIME, default 600)
#   fuzz/run.sh replay FILE...   run the given inputs (e.g. a crash-* file) 10 times each
#
# New corpus entries go to build/fuzz/corpus (seeded from fuzz/corpus, kept
# between runs); crash-*, timeout-* and leak-* files to build/fuzz/artifacts.
# Exit status: 0 when nothing was found, non-zero otherwise. A crash found
# here becomes a regression input: copy it to fuzz/regressions/ with a note
# in fuzz/regressions/README.md (see docs/verification.md, "Fuzzing").
#
# Environment: CC (default clang), JOBS (default 2), FUZZ_FLAGS (extra
# libFuzzer flags, e.g. -seed=1), FUZZ_TIME, FUZZ_SHORT_TIME.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-short}
shift || true
CC=${CC:-clang}
JOBS=${JOBS:-2}
build=build/fuzz
bin=$build/fuzz/fuzz_chan
work=$build/corpus
art=$build/artifacts
# -timeout: every input is meant to take milliseconds (its own checks give
# up after 5 s); -rss_limit_mb: ASan's quarantine needs some room.
common=(-timeout=20 -rss_limit_mb=4096 -print_final_stats=1 "-artifact_prefix=$art/")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

do_build() {
    cmake -S . -B "$build" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Debug \
        "-DCMAKE_C_FLAGS_DEBUG=-O1 -g" -DGORO_SANITIZE=address -DGORO_FUZZ=ON \
        -DGORO_BUILD_BENCH=OFF -DGORO_WERROR="${GORO_WERROR:-OFF}" >/dev/null
    cmake --build "$build" -j "$JOBS" --target fuzz_chan
}

# Runs the harness with its output filtered (per-input lines dropped);
# returns the harness's exit status.
run_bin() {
    set +e
    "$bin" "${common[@]}" "$@" 2>&1 |
        sed -u -E '/^(Running: |Executed )|^#[0-9]+[[:space:]]+(NEW|REDUCE)|^"|^###### |^[[:space:]]+NEW_FUNC/d'
    local rc=${PIPESTATUS[0]}
    set -e
    return "$rc"
}

# Replays every regression input (3 times each: the concurrent phase is not
# deterministic) and every seed once.
replay_all() {
    local regs=() f
    for f in fuzz/regressions/*; do
        [ -f "$f" ] && [ "$(basename "$f")" != README.md ] && regs+=("$f")
    done
    if ((${#regs[@]})); then
        echo "== fuzz: replaying ${#regs[@]} regression inputs"
        run_bin -runs=3 "${regs[@]}" || { echo "== fuzz: a regression input FAILED"; return 1; }
    fi
    echo "== fuzz: replaying the seed corpus"
    run_bin -runs=1 fuzz/corpus/* || { echo "== fuzz: a seed input FAILED"; return 1; }
}

fuzz_for() {
    local secs=$1 rc=0
    echo "== fuzz: fuzzing for $secs s (corpus $work + fuzz/corpus)"
    # shellcheck disable=SC2086
    run_bin -max_total_time="$secs" ${FUZZ_FLAGS:-} "$work" fuzz/corpus || rc=$?
    if ((rc)); then
        echo "== fuzz: FAILED (exit $rc); inputs saved in $art:"
        ls -l "$art" || true
        echo "   reproduce: fuzz/run.sh replay $art/<file>"
    else
        echo "== fuzz: ok, nothing found in $secs s"
    fi
    return "$rc"
}

mkdir -p "$work" "$art"

case $mode in
build)
    do_build ;;
short)
    do_build
    replay_all
    fuzz_for "${1:-${FUZZ_SHORT_TIME:-60}}" ;;
long)
    do_build
    replay_all
    fuzz_for "${1:-${FUZZ_TIME:-600}}" ;;
replay)
    do_build
    (($#)) || { echo "usage: fuzz/run.sh replay FILE..." >&2; exit 2; }
    run_bin -runs=10 "$@" ;;
*)
    sed -n '2,19p' "$0" >&2
    exit 2 ;;
esac
