#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/cpp/compare.sh: goro.hpp's overhead. Runs each C benchmark and its
# C++ twin (bench_<name>, bench_cpp_<name>) as RUNS processes each,
# alternating C and C++, and prints per figure the median over the
# processes of each program's own median, and C++/C (make bench-cpp).
#
# Environment: RUNS=5 (processes per program), BENCH_BIN_DIR (default
# build/release/bench), GOROMAXPROCS as for any goro program.
set -eu
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
BIN=${BENCH_BIN_DIR:-build/release/bench}
names="pingpong buffered spawn_join"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for name in $names; do
    for ((r = 0; r < RUNS; r++)); do
        for lang in c cpp; do
            exe=$BIN/bench_$name
            [ "$lang" = cpp ] && exe=$BIN/bench_cpp_$name
            "$exe" | grep -v '^#' | grep -v ' cold_' | sed "s/^/$lang /" >>"$log"
        done
    done
done

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

printf '%-12s %-16s %10s %10s %8s\n' workload metric "C ns" "C++ ns" "C++/C"
awk '{print $2, $3}' "$log" | sort -u | while read -r workload metric; do
    c=$(awk -v w="$workload" -v m="$metric" '$1 == "c" && $2 == w && $3 == m {print $4}' "$log" | median)
    cpp=$(awk -v w="$workload" -v m="$metric" '$1 == "cpp" && $2 == w && $3 == m {print $4}' "$log" | median)
    printf '%-12s %-16s %10.1f %10.1f %8.3f\n' "$workload" "$metric" "$c" "$cpp" \
        "$(awk -v a="$cpp" -v b="$c" 'BEGIN {print a / b}')"
done
