#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# verify/model/run.sh: model-checks goro's channel and select protocol
# (the Promela model in this directory) with spin, in every configuration,
# then checks that each deliberately broken variant is caught.
#
#   verify/model/run.sh               configurations, broken variants, probes
#   verify/model/run.sh --no-probes   without the reachability probes
#   verify/model/run.sh --list        print the configurations
#
# Needs spin (Debian: apt-get install spin) and a C compiler; installs
# nothing. pan (spin's verifier) exits 0 even when it finds an error, so
# each run's output is parsed: a configuration passes only with
# "errors: 0" and a complete search (no depth or memory limit hit); a
# broken variant passes only if pan reports the expected kind of error.
# Environment: CC (default cc), PAN_CFLAGS (default -O0: gcc needs ~20 s
# to optimise a pan.c, more than optimising saves here), JOBS (parallel
# runs, default nproc), MEMLIM (MB per run, default 2048), MODEL_TIMEOUT
# (s per run, default 600), KEEP=1 (keep the work directory, with pan's
# output and any trail, and say where). Exit status: 0 all as
# expected, 1 a problem, 2 spin or the compiler missing.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
CC="${CC:-cc}"
MEMLIM="${MEMLIM:-2048}"
MODEL_TIMEOUT="${MODEL_TIMEOUT:-600}"
PAN_CFLAGS="${PAN_CFLAGS:--O0}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
probes=1
case "${1:-}" in
    --no-probes) probes=0 ;;
    --list|"") ;;
    *) echo "usage: $0 [--no-probes|--list]" >&2; exit 1 ;;
esac

# name | scenario | spin -D flags | expectation (ok, assert, deadlock, probe)
configs=(
    "fanin-unbuf      |fanin    |-DCAP0=0 -DCAP1=0              |ok"
    "fanin-mixed      |fanin    |-DCAP0=1 -DCAP1=0              |ok"
    "fanin-spurious   |fanin    |-DCAP0=0 -DCAP1=0 -DSPURIOUS=2 |ok"
    "fanout-unbuf     |fanout   |-DCAP0=0 -DCAP1=0              |ok"
    "fanout-buf       |fanout   |-DCAP0=1 -DCAP1=2              |ok"
    "pipeline-buf     |pipeline |-DCAP0=1 -DCAP1=1              |ok"
    "pipeline-buf2    |pipeline |-DCAP0=2 -DCAP1=0              |ok"
    "timeout-unbuf    |timeout  |-DCAP0=0 -DCAP1=0              |ok"
    "timeout-mixed    |timeout  |-DCAP0=0 -DCAP1=1              |ok"
    "broken-claim     |fanin    |-DCAP0=0 -DCAP1=0 -DBROKEN_CLAIM     |assert"
    "broken-claim-tmr |timeout  |-DCAP0=0 -DCAP1=1 -DBROKEN_CLAIM     |assert"
    "broken-lockorder |fanout   |-DCAP0=0 -DCAP1=0 -DBROKEN_LOCKORDER |deadlock"
    "broken-close     |fanout   |-DCAP0=0 -DCAP1=0 -DBROKEN_CLOSE     |deadlock"
    "broken-futex     |pipeline |-DCAP0=1 -DCAP1=1 -DBROKEN_FUTEX     |deadlock"
)
# Reachability probes (goro.pml: REACH(n)): each path must be taken by
# the configuration named, or the checks above could be vacuous there.
probe_list=(
    "1  |fanin    |-DCAP0=0 -DCAP1=0              |wake before park (G_WOKEN)"
    "2  |fanin    |-DCAP0=0 -DCAP1=0              |wake of a parked goroutine"
    "3  |fanin    |-DCAP0=0 -DCAP1=0              |thread wake with futex_wake"
    "4  |fanin    |-DCAP0=0 -DCAP1=0              |thread woken before it slept"
    "5  |fanin    |-DCAP0=0 -DCAP1=0              |dequeue unlinks a claimed loser"
    "6  |pipeline |-DCAP0=1 -DCAP1=1              |receive from a full buffer with a blocked sender"
    "7  |pipeline |-DCAP0=1 -DCAP1=1              |close claims several waiters"
    "8  |fanin    |-DCAP0=0 -DCAP1=0              |close wakes a blocked sender"
    "9  |timeout  |-DCAP0=0 -DCAP1=1              |deadline timer wins the claim"
    "10 |timeout  |-DCAP0=0 -DCAP1=1              |deadline timer loses the claim"
    "11 |timeout  |-DCAP0=0 -DCAP1=1              |thread deadline wins the claim"
    "12 |timeout  |-DCAP0=0 -DCAP1=1              |thread deadline loses, waits for the wake"
    "13 |timeout  |-DCAP0=0 -DCAP1=1              |passed deadline loses, parks for the wake"
    "14 |fanin    |-DCAP0=0 -DCAP1=0              |select pass 3 unlinks a losing case"
    "15 |timeout  |-DCAP0=0 -DCAP1=1              |select queued on both queues of one channel"
    "16 |timeout  |-DCAP0=0 -DCAP1=1              |timed-out send unlinks its sudog"
    "17 |timeout  |-DCAP0=0 -DCAP1=1              |thread futex wait times out"
    "18 |fanin    |-DCAP0=0 -DCAP1=0              |late futex_wake lands in the thread's next wait"
)

trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

if [ "${1:-}" = --list ]; then
    printf '%s\n' "${configs[@]}" | tr -s ' '
    exit 0
fi

if ! command -v spin >/dev/null 2>&1; then
    echo "run.sh: spin is not installed (Debian/Ubuntu: apt-get install spin); nothing checked" >&2
    exit 2
fi
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run.sh: no C compiler ($CC) to build spin's verifier" >&2
    exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/goro-model.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then
    echo "run.sh: work directory $work (kept)"
else
    trap 'rm -rf "$work"' EXIT
fi

echo "== model check: $(spin -V | head -1), pan built with $CC $PAN_CFLAGS -DSAFETY -DCOLLAPSE, $JOBS at a time"
failed=0
t_all=$SECONDS

# run NAME SCENARIO FLAGS EXPECT: builds and runs pan, sets $verdict/$detail.
run_one() {
    local name="$1" scen="$2" flags="$3" expect="$4" d="$work/$1"
    mkdir -p "$d"
    cp "$here"/*.pml "$d"/
    # shellcheck disable=SC2086
    if ! (cd "$d" && spin $flags -a "$scen.pml" >spin.out 2>&1); then
        verdict="FAILED"; detail="spin -a: $(tail -1 "$d/spin.out")"; return
    fi
    if ! (cd "$d" && "$CC" $PAN_CFLAGS -w -DSAFETY -DCOLLAPSE -DMEMLIM="$MEMLIM" -o pan pan.c >cc.out 2>&1); then
        verdict="FAILED"; detail="compiling pan: $(head -1 "$d/cc.out")"; return
    fi
    local t0=$SECONDS rc=0
    (cd "$d" && timeout "$MODEL_TIMEOUT" ./pan -m100000 -n >pan.out 2>&1) || rc=$?
    local secs=$((SECONDS - t0)) out="$d/pan.out"
    local errors states first
    errors="$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$out" | tail -1)"
    states="$(sed -n 's/^ *\([0-9][0-9.e+]*\) states, stored.*/\1/p' "$out" | tail -1)"
    first="$(grep -m1 -E '^pan:[0-9]+: ' "$out" | sed 's/ (at depth.*//')"
    local incomplete=""
    grep -q "max search depth too small" "$out" && incomplete="search depth limit hit"
    grep -qE "reached -DMEMLIM bound|out of memory" "$out" && incomplete="memory limit hit"
    [ "$rc" -eq 124 ] && incomplete="timed out after ${MODEL_TIMEOUT}s"
    if [ -z "$errors" ]; then
        verdict="FAILED"; detail="no verdict from pan (rc $rc): $(tail -1 "$out")"; return
    fi
    detail="${states:-?} states, ${secs}s"
    case "$expect" in
    ok)
        if [ "$errors" = 0 ] && [ -z "$incomplete" ]; then
            verdict="ok"
        else
            verdict="FAILED"
            detail+="; errors: $errors${incomplete:+; $incomplete}${first:+; $first}"
            if [ "$errors" != 0 ]; then
                (cd "$d" && spin $flags -t -p "$scen.pml" >trail.txt 2>&1) || true
                detail+="; trail below"
            fi
        fi ;;
    assert|deadlock|probe)
        local want="assertion violated"
        [ "$expect" = deadlock ] && want="invalid end state"
        if [ "$errors" != 0 ] && grep -q -- "$want" <<<"$first"; then
            verdict="caught"
            detail+="; $first"
        else
            verdict="FAILED"
            detail+="; expected: $want, got errors: $errors${incomplete:+; $incomplete}${first:+; $first}"
        fi ;;
    esac
}

# job LINE-FILE NAME SCEN FLAGS EXPECT KIND WHAT: one run, its summary
# line written to LINE-FILE (run in the background).
job() {
    local file="$1" name="$2" scen="$3" flags="$4" expect="$5" kind="$6" what="$7"
    run_one "$name" "$scen" "$flags" "$expect"
    if [ "$kind" = probe ]; then
        [ "$verdict" = caught ] && verdict="reached" || verdict="FAILED"
        printf 'probe %-3s %-9s %-7s %s (%s)\n' "${name#probe-}" "$scen" "$verdict" "$what" "${detail%%;*}" >"$file"
    else
        printf '%-17s %-9s %-36s %-7s %s\n' "$name" "$scen" "$flags" "$verdict" "$detail" >"$file"
        if [ -s "$work/$name/trail.txt" ]; then   # the end of the counterexample
            echo "---- last steps of the trail (spin -t -p, KEEP=1 keeps it all):" >>"$file"
            grep -E "proc|assert|timeout|end state" "$work/$name/trail.txt" | tail -25 | sed 's/^/    /' >>"$file"
        fi
    fi
}

jobs_list=()
for c in "${configs[@]}"; do
    IFS='|' read -r name scen flags expect <<<"$c"
    jobs_list+=("$(trim "$name")|$(trim "$scen")|$(trim "$flags")|$(trim "$expect")|config|")
done
if [ "$probes" = 1 ]; then
    for p in "${probe_list[@]}"; do
        IFS='|' read -r n scen flags what <<<"$p"
        n="$(trim "$n")"
        jobs_list+=("probe-$n|$(trim "$scen")|$(trim "$flags") -DPROBE=$n|probe|probe|$(trim "$what")")
    done
fi

i=0
for j in "${jobs_list[@]}"; do
    IFS='|' read -r name scen flags expect kind what <<<"$j"
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
    job "$work/$(printf '%03d' $i).line" "$name" "$scen" "$flags" "$expect" "$kind" "$what" &
    i=$((i + 1))
done
wait
shown_probes=0
for ((k = 0; k < i; k++)); do
    f="$work/$(printf '%03d' $k).line"
    if [ ! -s "$f" ]; then
        echo "run $k: no result"; failed=1; continue
    fi
    if [ $shown_probes = 0 ] && grep -q '^probe ' "$f"; then
        echo "== reachability probes (each must be reached: the checks are not vacuous there)"
        shown_probes=1
    fi
    cat "$f"
    grep -q ' FAILED ' "$f" && failed=1
done

echo "== model: $([ $failed = 0 ] && echo ok || echo FAILED) ($((SECONDS - t_all)) s)"
exit $failed
