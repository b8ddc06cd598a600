#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh: runs goro's benchmark workloads and their Go twins on this
# machine and prints one table of medians (run by `make bench`).
#
# Programs: bench/<name>.c (built by CMake as bench_<name>) and its twin
# bench/go/<name>/main.go (built here with `go build` in the module bench/go,
# whose package bench/go/harness they share). Each program runs one
# warm-up pass and 3 measured passes and prints the median of the passes
# (parked_memory, timers_pending: one cold pass per process).
#
# Output format of every program (C and Go alike), on stdout:
#     <workload> <metric> <value>        e.g.  spawn_join ns_per_op 42.1
#     <workload> cold_<metric> <value>   the warm-up pass
#     # ...                              comments: settings, per-pass values
# Metrics: spawn_join ns_per_op (per goroutine), yield ns_per_op (per
# goro_yield / Gosched call), parked_memory bytes_per_goroutine (RSS) and
# create_ms, idle_cpu cpu_ms (process CPU per idle second; target 0).
# Channels: pingpong ns_per_op (per round trip), buffered ns_per_op_1p1c and
# ns_per_op_4p4c (per item), select4 ns_per_op_unbuffered and
# ns_per_op_cap128 (per item), pipeline ns_per_op (per item), workerpool
# ns_per_op (per job), ring ns_per_op (per hop), pairs ns_per_op (per round
# trip of 64 independent ping-pong pairs together), parked_chan
# bytes_per_goroutine (RSS, channel included), create_ms and
# release_ns_per_g (close every channel until all goroutines returned).
# Sync: mutex ns_per_op_g2, _g8, _g100 (per increment of a counter shared
# by 2, 8, 100 goroutines) and cpu_ns_per_op_g2, _g8, _g100 (process CPU
# per increment, every thread), mutex_uncontended ns_per_op (per lock+unlock),
# waitgroup_fanout release_ns_per_g (100,000 goroutines released by one
# WaitGroup, per goroutine) and total_ns_per_g, lock_hog max_wait_ms (worst
# wait for a mutex a hog goroutine holds almost always).
# Time and context: cancel_fanout cancel_us and ns_per_goroutine (10,000
# goroutines in a select on ctx done: cancel until all exited), sleepers
# wall_ms, p99_oversleep_us and p50_oversleep_us (100,000 goroutines each
# sleeping 1 ms once), timers_pending cpu_ms (process CPU over 1 idle s with
# 1,000,000 pending 1-hour timers; target 0), bytes_per_timer (RSS),
# create_ns_per_timer, stop_ns_per_timer (goro_timer_stop; Go: Stop) and
# free_ns_per_timer (goro_timer_free once stopped; no twin), ctx_timeout ns_per_op (per
# with_timeout + cancel + release; Go: WithTimeout + cancel()).
# I/O: tcp_echo rps_100 and rps_1000 (echo server requests per second over
# loopback, 100 / 1,000 connections, 64-byte messages, one C load client
# for both servers; higher is better, so goro/Go > 1 means goro is ahead)
# and cpu_us_per_req_100 / _1000 (the server's CPU time per request, steadier
# on a busy machine); syscall ns_per_op_handoff (goro_syscall_begin + end
# with no real block; Go: Syscall(SYS_GETPID) minus RawSyscall), getpid
# and raw_getpid.
#
# This script runs each (workload, procs) pair as BENCH_RUNS separate
# processes per language, alternating goro and Go, with GOROMAXPROCS /
# GOMAXPROCS set to procs, and reports the median over the processes.
# yield always runs at procs 1 only.
#
# Environment:
#   BENCH_RUNS=3            processes per (workload, procs, language)
#   BENCH_PROCS="1 2"       proc counts, e.g. "1 2 4 8 16"
#   BENCH_ONLY=name         run only workloads whose name contains name
#   BENCH_BIN_DIR=dir       where bench_<name> executables are (default: found
#                           under build/)
#   BENCH_NO_GO=1           skip the Go twins
#   BENCH_NO_BUILD=1        do not run `make -s build` first
#   BENCH_LOG_DIR=dir       raw output of every process (default build/bench-logs)
#   BENCH_RESULTS=file      where the table is saved (default build/bench-results.txt)
#   BENCH_ARGS="w=a,b ..."  arguments for workload w's programs (both
#                           languages), e.g. "workerpool=300000 ring=10000,30"
#                           (smaller sizes than the defaults)
#   BENCH_TABLE_ONLY=1      build and run nothing: print the table from the
#                           logs an earlier run left in BENCH_LOG_DIR
# bench/report.sh (`make bench-report`) turns the table into docs/bench-report.md.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${BENCH_RUNS:-3}
PROCS=${BENCH_PROCS:-"1 2"}
ONLY=${BENCH_ONLY:-}
LOGDIR=${BENCH_LOG_DIR:-$ROOT/build/bench-logs}
GOBIN_DIR=$ROOT/build/bench-go
TIMEOUT=${BENCH_TIMEOUT:-120}

# workload:metric pairs, one table row each (per procs)
ROWS="spawn_join:ns_per_op yield:ns_per_op parked_memory:bytes_per_goroutine parked_memory:create_ms idle_cpu:cpu_ms"
ROWS="$ROWS pingpong:ns_per_op buffered:ns_per_op_1p1c buffered:ns_per_op_4p4c"
ROWS="$ROWS select4:ns_per_op_unbuffered select4:ns_per_op_cap128 pipeline:ns_per_op"
ROWS="$ROWS workerpool:ns_per_op ring:ns_per_op pairs:ns_per_op parked_chan:bytes_per_goroutine"
ROWS="$ROWS parked_chan:create_ms parked_chan:release_ns_per_g"
ROWS="$ROWS mutex:ns_per_op_g2 mutex:ns_per_op_g8 mutex:ns_per_op_g100"
ROWS="$ROWS mutex:cpu_ns_per_op_g2 mutex:cpu_ns_per_op_g8 mutex:cpu_ns_per_op_g100 mutex_uncontended:ns_per_op"
ROWS="$ROWS waitgroup_fanout:release_ns_per_g waitgroup_fanout:total_ns_per_g lock_hog:max_wait_ms"
ROWS="$ROWS cancel_fanout:cancel_us cancel_fanout:ns_per_goroutine sleepers:wall_ms"
ROWS="$ROWS sleepers:p99_oversleep_us sleepers:p50_oversleep_us timers_pending:cpu_ms"
ROWS="$ROWS timers_pending:bytes_per_timer timers_pending:create_ns_per_timer"
ROWS="$ROWS timers_pending:stop_ns_per_timer timers_pending:free_ns_per_timer ctx_timeout:ns_per_op"
ROWS="$ROWS tcp_echo:rps_100 tcp_echo:rps_1000 tcp_echo:cpu_us_per_req_100 tcp_echo:cpu_us_per_req_1000"
ROWS="$ROWS syscall:ns_per_op_handoff syscall:ns_per_op_getpid syscall:ns_per_op_raw_getpid"
WORKLOADS="spawn_join yield parked_memory idle_cpu"
WORKLOADS="$WORKLOADS pingpong buffered select4 pipeline workerpool ring pairs parked_chan"
WORKLOADS="$WORKLOADS mutex mutex_uncontended waitgroup_fanout lock_hog"
WORKLOADS="$WORKLOADS cancel_fanout sleepers timers_pending ctx_timeout"
WORKLOADS="$WORKLOADS tcp_echo syscall"

say() { echo "bench: $*" >&2; }

selected() { [ -z "$ONLY" ] || [[ "$1" == *"$ONLY"* ]]; }

TABLE_ONLY=${BENCH_TABLE_ONLY:-}

# ---- build goro and the C workloads --------------------------------------
if [ -z "${BENCH_NO_BUILD:-}" ] && [ -z "$TABLE_ONLY" ]; then
    if ! make -s build >&2; then
        say "make build failed; trying cmake directly"
        cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >&2 &&
            cmake --build build/release -j2 >&2 || { say "build failed"; exit 1; }
    fi
fi

cbin() {   # path of the bench_<name> executable, or nothing
    local name=bench_$1 d
    if [ -n "${BENCH_BIN_DIR:-}" ]; then
        [ -x "$BENCH_BIN_DIR/$name" ] && echo "$BENCH_BIN_DIR/$name"
        return
    fi
    for d in build/release build/release/bench build/release/bin build; do
        [ -x "$d/$name" ] && [ -f "$d/$name" ] && { echo "$ROOT/$d/$name"; return; }
    done
    find build -type f -perm -u+x -name "$name" 2>/dev/null | head -n 1 |
        sed "s|^|$ROOT/|"
}

# ---- build the Go twins ---------------------------------------------------
HAVE_GO=0
# The current Go from go.dev's layout (/usr/local/go) comes first; an older
# distribution Go is used only if that is all there is, and the table names
# the version that ran. Nothing is installed here: without Go, say how.
[ -x /usr/local/go/bin/go ] && export PATH=/usr/local/go/bin:$PATH
if [ -z "${BENCH_NO_GO:-}" ]; then
    command -v go >/dev/null 2>&1 ||
        say "go not found: install a current Go (PATH or /usr/local/go) for the twins; running goro only"
    if command -v go >/dev/null 2>&1; then
        HAVE_GO=1
        mkdir -p "$GOBIN_DIR"
        for w in $WORKLOADS; do
            selected "$w" && [ -z "$TABLE_ONLY" ] || continue
            if ! (cd bench/go && GO111MODULE=on GOFLAGS=-mod=mod GOWORK=off go build -o "$GOBIN_DIR/$w" "./$w") >&2; then
                say "go build of bench/go/$w failed"
                rm -f "$GOBIN_DIR/$w"
            fi
        done
    else
        say "Go is not installed: running the C workloads only (no ratios)"
    fi
fi

# ---- run -------------------------------------------------------------------
# The Go tcp_echo server is driven by the C load client (bench/tcp_echo.c).
export TCP_ECHO_CLIENT="$(cbin tcp_echo)"
mkdir -p "$LOGDIR"
[ -n "$TABLE_ONLY" ] || rm -f "$LOGDIR"/*.txt

median() {   # median of the numbers on stdin, or "-" if none
    sort -g | awk '{v[NR]=$1} END {
        if (NR == 0) { print "-"; exit }
        if (NR % 2) print v[(NR+1)/2]; else printf "%.6g\n", (v[NR/2]+v[NR/2+1])/2 }'
}

run_one() {   # lang workload procs run -> log file
    local lang=$1 w=$2 p=$3 r=$4 bin log
    log="$LOGDIR/${lang}_${w}_P${p}_${r}.txt"
    if [ "$lang" = goro ]; then bin=$(cbin "$w"); else bin="$GOBIN_DIR/$w"; fi
    if [ -z "$bin" ] || [ ! -x "$bin" ]; then
        echo "# no binary for $lang $w" >"$log"
        return
    fi
    local args=() a
    for a in ${BENCH_ARGS:-}; do
        [ "${a%%=*}" = "$w" ] && IFS=, read -r -a args <<<"${a#*=}"
    done
    # The process's CPU time (user + system, all threads) and voluntary
    # context switches, as a "# time" comment, where GNU time is installed.
    local timer=()
    [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "# time user %U sys %S vcs %w ivcs %c")
    GOROMAXPROCS=$p GOMAXPROCS=$p timeout "$TIMEOUT" "${timer[@]}" "$bin" "${args[@]}" >"$log" 2>&1
    local rc=$?
    [ $rc -eq 0 ] || { say "$lang $w procs=$p run $r exited $rc (see $log)"; echo "# exit $rc" >>"$log"; }
}

value() {   # lang workload metric procs -> median over runs
    local lang=$1 w=$2 m=$3 p=$4
    cat "$LOGDIR/${lang}_${w}_P${p}_"*.txt 2>/dev/null |
        awk -v w="$w" -v m="$m" '$1 == w && $2 == m { print $3 }' | median
}

procs_for() { if [ "$1" = yield ]; then echo 1; else echo "$PROCS"; fi; }

START=$(date +%s)
for w in $WORKLOADS; do
    selected "$w" && [ -z "$TABLE_ONLY" ] || continue
    [ -n "$(cbin "$w")" ] || say "no bench_$w executable found (C side skipped)"
    for p in $(procs_for "$w"); do
        say "$w procs=$p ($RUNS runs)"
        for r in $(seq 1 "$RUNS"); do
            run_one goro "$w" "$p" "$r"
            [ $HAVE_GO = 1 ] && run_one go "$w" "$p" "$r"
        done
    done
done
say "done in $(( $(date +%s) - START )) s; raw output in $LOGDIR"

# ---- table -----------------------------------------------------------------
{
    echo "# goro vs Go, medians over $RUNS processes; $(nproc) CPUs; $( [ $HAVE_GO = 1 ] && go version | awk '{print $3}' || echo 'no Go')"
    printf '%-14s | %-20s | %5s | %12s | %12s | %8s\n' workload metric procs goro Go goro/Go
    printf '%s\n' "---------------|----------------------|-------|--------------|--------------|---------"
    for row in $ROWS; do
        w=${row%%:*} m=${row#*:}
        selected "$w" || continue
        for p in $(procs_for "$w"); do
            g=$(value goro "$w" "$m" "$p")
            o=$( [ $HAVE_GO = 1 ] && value go "$w" "$m" "$p" || echo -)
            ratio=$(awk -v a="$g" -v b="$o" 'BEGIN {
                if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }')
            printf '%-14s | %-20s | %5s | %12s | %12s | %8s\n' "$w" "$m" "$p" "$g" "$o" "$ratio"
        done
    done
} | tee "${BENCH_RESULTS:-$ROOT/build/bench-results.txt}"
