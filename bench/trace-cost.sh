#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/trace-cost.sh [BENCHDIR [RUNS]]: what tracing costs on ping-pong and
# the worker pool (issue 17's targets: at most +20% and +10%). Runs each
# bench_<name> in BENCHDIR (default build/release/bench) RUNS times
# (default 7) with tracing off and on (GORODEBUG=trace=FILE, the file in a
# temporary directory), alternating, at GOROMAXPROCS=1 (set GOROMAXPROCS to
# change it), and prints the medians of the bench's ns_per_op (wall clock)
# and of the process's CPU time per operation (perf stat's task-clock, or
# getrusage through python3 without perf), and the trace's bytes per
# operation. CPU time is the steadier figure on a shared machine.
set -euo pipefail
dir=${1:-build/release/bench}
runs=${2:-7}
export GOROMAXPROCS=${GOROMAXPROCS:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cpu_ns CMD...: runs CMD (its stdout to $tmp/out), prints its CPU time in ns.
cpu_ns() {
    python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(int((r.ru_utime + r.ru_stime) * 1e9))' "$tmp/out" "$@"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

for spec in pingpong:200000 workerpool:1000000; do
    name=${spec%%:*} n=${spec##*:}
    ops=$((n * 4))   # a warm-up pass and 3 measured passes (bench/bench.h)
    : > "$tmp/off.wall"; : > "$tmp/on.wall"; : > "$tmp/off.cpu"; : > "$tmp/on.cpu"; : > "$tmp/bytes"
    for ((i = 0; i < runs; i++)); do
        for mode in off on; do
            if [ $mode = on ]; then
                rm -f "$tmp/t.trace"
                c=$(GORODEBUG=trace=$tmp/t.trace cpu_ns "$dir/bench_$name" "$n")
                echo $(( $(stat -c %s "$tmp/t.trace") / ops )) >> "$tmp/bytes"
            else
                c=$(GORODEBUG= cpu_ns "$dir/bench_$name" "$n")
            fi
            awk -v w="$name" '$1 == w && $2 == "ns_per_op" {print $3}' "$tmp/out" >> "$tmp/$mode.wall"
            echo "$c $ops" | awk '{printf "%.1f\n", $1 / $2}' >> "$tmp/$mode.cpu"
        done
    done
    for k in wall cpu; do
        off=$(median < "$tmp/off.$k") on=$(median < "$tmp/on.$k")
        echo "$name $k ns/op: off $off on $on ratio $(awk -v a="$off" -v b="$on" 'BEGIN {printf "%.3f", b / a}')" \
             " (off: $(tr '\n' ' ' < "$tmp/off.$k")| on: $(tr '\n' ' ' < "$tmp/on.$k"))"
    done
    echo "$name trace bytes/op: $(median < "$tmp/bytes")"
done
