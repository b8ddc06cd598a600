#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/report.sh: the benchmark report (run by `make bench-report`).
#
# Runs bench/run.sh (every workload in C and its Go twin, alternating, on
# this machine), then writes
#     docs/bench-report.md    a Markdown table: workload, metric, procs,
#                             goro, Go, goro/Go, the target, whether it is met
#     docs/bench-report.svg   a chart of goro's advantage over Go per row
# with a header recording the date, CPU, CPU count, load, kernel, Go
# version and goro commit. The chart is drawn by gnuplot when it is
# installed (Debian: gnuplot-nox; the script installs nothing itself);
# otherwise by the awk at the end of this file.
#
# Environment (besides run.sh's own: BENCH_RUNS, BENCH_PROCS, BENCH_ONLY,
# BENCH_BIN_DIR, BENCH_NO_BUILD, BENCH_NO_GO, BENCH_LOG_DIR):
#   REPORT_REUSE=file   do not run anything: build the report from a table
#                       run.sh printed earlier (e.g. build/bench-results.txt)
#   BENCH_TABLE_ONLY=1  do not run anything: rebuild the table from the logs
#                       an earlier run left in BENCH_LOG_DIR
#   REPORT_DIR=dir      where the two files go (default docs)
#   REPORT_NOTE=text    a sentence for the header (e.g. "2 CPUs shared
#                       with other jobs")
#   REPORT_NO_GNUPLOT=1 use the awk chart even if gnuplot is there
#   REPORT_GORO=text    what the header says was measured (default: the
#                       commit, noting uncommitted changes in src/)
# A full run takes about as long as `make bench` (tens of minutes);
# BENCH_RUNS=1 BENCH_ONLY=pingpong makes a quick one. Not run by CI.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUTDIR=${REPORT_DIR:-docs}
MD=$OUTDIR/bench-report.md
SVG=$OUTDIR/bench-report.svg
WORK=$ROOT/build/bench-report
mkdir -p "$WORK" "$OUTDIR"

say() { echo "bench-report: $*" >&2; }

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'; }

# ---- run (or reuse) the benchmarks -----------------------------------------
LOAD_BEFORE=$(load)
START=$(date -u '+%Y-%m-%d %H:%M UTC')
T0=$(date +%s)
if [ -n "${REPORT_REUSE:-}" ]; then
    [ -f "$REPORT_REUSE" ] || { say "no such file: $REPORT_REUSE"; exit 1; }
    cp "$REPORT_REUSE" "$WORK/results.txt"
    START="$(date -u -r "$REPORT_REUSE" '+%Y-%m-%d %H:%M UTC') (table reused)"
else
    BENCH_RESULTS="$WORK/results.txt" bash bench/run.sh >/dev/null ||
        { say "bench/run.sh failed"; exit 1; }
fi
ELAPSED=$(( $(date +%s) - T0 ))
LOAD_AFTER=$(load)
LOGS=${BENCH_LOG_DIR:-$ROOT/build/bench-logs}
LOGS_SHOWN=${LOGS#"$ROOT"/}
if [ -n "${BENCH_TABLE_ONLY:-}" ] && [ -z "${REPORT_REUSE:-}" ]; then
    first=$(ls -tr "$LOGS"/*.txt 2>/dev/null | head -n 1)
    last=$(ls -t "$LOGS"/*.txt 2>/dev/null | head -n 1)
    [ -n "$first" ] && START="$(date -u -r "$first" '+%Y-%m-%d %H:%M') to $(date -u -r "$last" '+%H:%M UTC') (table rebuilt from the logs)"
    ELAPSED=""
    LOAD_BEFORE="not recorded"
    LOAD_AFTER="not recorded (table rebuilt from logs)"
fi

# ---- machine ----------------------------------------------------------------
CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
[ -n "$CPU" ] || CPU=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
FAM=$(lscpu 2>/dev/null | sed -n 's/^CPU family:[[:space:]]*//p' | head -n 1)
MOD=$(lscpu 2>/dev/null | sed -n 's/^Model:[[:space:]]*//p' | head -n 1)
[ -n "$FAM" ] && CPU="$CPU (family $FAM, model ${MOD:-?})"
[ -x /usr/local/go/bin/go ] && export PATH=/usr/local/go/bin:$PATH   # as run.sh
GOV=$(go version 2>/dev/null | awk '{print $3}')
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src include 2>/dev/null || COMMIT="$COMMIT (with uncommitted changes in src/ or include/)"
[ -n "${REPORT_GORO:-}" ] && COMMIT=$REPORT_GORO
RUNS_LINE=$(sed -n 's/^# goro vs Go, medians over \([0-9]*\) processes.*/\1/p' "$WORK/results.txt" | head -n 1)

# ---- targets ------------------------------------------------------------------
# workload:metric:procs (* = any) -> kind and bound, from the issues' Targets:
#   r<=X  goro/Go at most X        r>=X  goro/Go at least X (throughput)
#   a<=X  goro's value at most X   info  no target (reported only)
# Text shown in the table is derived from the bound.
target_of() {   # workload metric procs
    case "$1:$2:$3" in
    spawn_join:ns_per_op:1) echo 'r<=0.1' ;;
    spawn_join:ns_per_op:*) echo 'r<=0.25' ;;
    yield:ns_per_op:*) echo 'a<=15' ;;
    parked_memory:bytes_per_goroutine:*|parked_chan:bytes_per_goroutine:*) echo 'a<=4600' ;;
    idle_cpu:cpu_ms:*|timers_pending:cpu_ms:*) echo 'a<=1' ;;
    pingpong:ns_per_op:1|pipeline:ns_per_op:1) echo 'r<=0.33' ;;
    pingpong:ns_per_op:*|pipeline:ns_per_op:*) echo 'r<=0.5' ;;
    buffered:*|select4:*|workerpool:*) echo 'r<=0.5' ;;
    ring:ns_per_op:1) echo 'r<=0.2' ;;
    ring:ns_per_op:*) echo 'r<=0.5' ;;
    mutex:*|mutex_uncontended:*) echo 'r<=1' ;;
    waitgroup_fanout:*) echo 'r<=0.5' ;;
    cancel_fanout:*|ctx_timeout:*) echo 'r<=0.5' ;;
    sleepers:wall_ms:*|sleepers:p99_oversleep_us:*) echo 'r<=1' ;;
    sleepers:p50_oversleep_us:*) echo 'r<=2' ;;
    timers_pending:stop_ns_per_timer:*|parked_chan:release_ns_per_g:*) echo 'r<=1' ;;
    tcp_echo:rps_*) echo 'r>=1.2' ;;
    syscall:ns_per_op_handoff:*) echo 'r<=1' ;;
    *) echo info ;;
    esac
}

# ---- table -> rows ------------------------------------------------------------
# rows.tsv: workload metric procs goro go ratio target-kind bound
grep -E '^[a-z_0-9]+ +\|' "$WORK/results.txt" | grep -v '^workload' |
    tr -d ' ' | tr '|' '\t' >"$WORK/raw.tsv"
: >"$WORK/rows.tsv"
while IFS=$'\t' read -r w m p g o _; do
    t=$(target_of "$w" "$m" "$p")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$m" "$p" "$g" "$o" "$t" >>"$WORK/rows.tsv"
done <"$WORK/raw.tsv"
[ -s "$WORK/rows.tsv" ] || { say "no rows in the results table"; exit 1; }

# ---- Markdown ---------------------------------------------------------------
{
    echo "# Benchmark report: goro vs Go"
    echo
    echo "Generated by \`make bench-report\` (bench/report.sh) from bench/run.sh:"
    echo "each workload in C against its Go twin (bench/go/), run alternately as"
    echo "separate processes with GOROMAXPROCS / GOMAXPROCS set to *procs*; each"
    echo "figure is the median over the processes, and each process reports the"
    echo "median of its measured passes. Units are in the metric's name; lower is"
    echo "better except for \`rps\` (requests per second)."
    echo
    echo "| | |"
    echo "|---|---|"
    echo "| date | $START |"
    echo "| CPU | ${CPU:-unknown}, $(nproc) CPUs available |"
    echo "| load average (1, 5, 15 min) | before: $LOAD_BEFORE; after: $LOAD_AFTER |"
    echo "| kernel | $(uname -sr) |"
    echo "| Go | ${GOV:-not installed} |"
    echo "| C compiler | $(${CC:-cc} --version 2>/dev/null | head -n 1) |"
    echo "| goro | $COMMIT |"
    echo "| processes per figure | ${RUNS_LINE:-?} (BENCH_RUNS); procs: ${BENCH_PROCS:-1 2}${BENCH_ONLY:+; only: $BENCH_ONLY} |"
    [ -z "${REPORT_REUSE:-}" ] && [ -n "$ELAPSED" ] && echo "| run time | ${ELAPSED} s |"
    echo
    if [ -n "${REPORT_NOTE:-}" ]; then
        echo "**Note.** $REPORT_NOTE"
        echo
    fi
    echo "Targets are the ones the project's issues set (a ratio is goro's"
    echo "figure divided by Go's from the same run; an absolute bound is on goro's"
    echo "figure alone). *met* compares the median with the target; on a small"
    echo "shared machine a figure near its bound can fall either side from run to"
    echo "run. The chart, [bench-report.svg](bench-report.svg), shows goro's"
    echo "advantage over Go per row (Go/goro, or goro/Go for throughput) on a"
    echo "log scale, with the target as a mark."
    echo
    echo "| workload | metric | procs | goro | Go | goro/Go | target | met |"
    echo "|---|---|---:|---:|---:|---:|---|:---:|"
    awk -F'\t' '
    function num(s) { return s != "-" && s != "" }
    {
        w = $1; m = $2; p = $3; g = $4; o = $5; t = $6
        ratio = "-"                     # met is judged on the ratio shown
        if (num(g) && num(o) && o + 0 != 0) ratio = sprintf("%.2f", g / o)
        kind = substr(t, 1, 3); bound = substr(t, 4)
        if (t == "info") { txt = "(reported)"; met = "" }
        else if (kind == "r<=") { txt = "goro/Go <= " bound; met = (ratio == "-") ? "?" : ((ratio + 0 <= bound + 0) ? "yes" : "no") }
        else if (kind == "r>=") { txt = "goro/Go >= " bound; met = (ratio == "-") ? "?" : ((ratio + 0 >= bound + 0) ? "yes" : "no") }
        else if (kind == "a<=") { txt = "goro <= " bound; met = num(g) ? ((g + 0 <= bound + 0) ? "yes" : "no") : "?" }
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", w, m, p, g, o, ratio, txt, met
    }' "$WORK/rows.tsv"
    echo
    awk -F'\t' '
    { t = $6; if (t == "info") next
      kind = substr(t, 1, 3); b = substr(t, 4) + 0
      if ($4 == "-" || (kind != "a<=" && ($5 == "-" || $5 + 0 == 0))) { unk++; next }
      r = (kind == "a<=") ? $4 + 0 : sprintf("%.2f", $4 / $5) + 0
      if ((kind == "r>=") ? r >= b : r <= b) ok++; else bad++ }
    END { printf "Targets met: %d of %d", ok, ok + bad
          if (unk) printf " (%d more without a figure)", unk
          print "." }' "$WORK/rows.tsv"
    echo
    echo "Raw output of every process: \`$LOGS_SHOWN/\` (BENCH_LOG_DIR)."
} >"$MD"
say "wrote $MD"

# ---- chart data: advantage = Go/goro (goro/Go for throughput) --------------
# chart.tsv: label advantage target-advantage (0: none)
awk -F'\t' '
{
    if ($4 == "-" || $5 == "-" || $4 + 0 <= 0 || $5 + 0 <= 0) next
    hib = ($2 ~ /^rps/)
    adv = hib ? $4 / $5 : $5 / $4
    t = $6; kind = substr(t, 1, 3); b = substr(t, 4) + 0; tadv = 0
    if (kind == "r<=" && b > 0) tadv = 1 / b
    else if (kind == "r>=") tadv = b
    printf "%s:%s P%s\t%.6g\t%.6g\n", $1, $2, $3, adv, tadv
}' "$WORK/rows.tsv" >"$WORK/chart.tsv"
NROWS=$(wc -l <"$WORK/chart.tsv")
if [ "$NROWS" -eq 0 ]; then
    say "no row has both a goro and a Go figure: no chart"
    exit 0
fi
TITLE="goro vs Go: advantage per workload (Go/goro; goro/Go for rps), $(date -u +%Y-%m-%d), $(nproc) CPUs"

# ---- chart with gnuplot -------------------------------------------------------
if [ -z "${REPORT_NO_GNUPLOT:-}" ] && ! command -v gnuplot >/dev/null 2>&1; then
    say "gnuplot not found (Debian: apt-get install gnuplot-nox): drawing the chart with awk"
fi
if [ -z "${REPORT_NO_GNUPLOT:-}" ] && command -v gnuplot >/dev/null 2>&1; then
    H=$(( 150 + NROWS * 18 ))
    # Labels use _ which gnuplot would read as a subscript: noenhanced.
    if gnuplot >"$WORK/gnuplot.log" 2>&1 <<EOF
set terminal svg size 900,$H dynamic font "sans,11" noenhanced background "white"
set output "$SVG"
set datafile separator "\t"
set title "$TITLE"
set logscale x 2
set xrange [*:*]
set yrange [$NROWS - 0.2:-0.8]
set xlabel "advantage (log scale): > 1 goro ahead, < 1 Go ahead"
set grid xtics
set key outside bottom center horizontal
set style fill solid 0.8 noborder
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb "black" lw 1
set ytics nomirror font ",9"
plot "$WORK/chart.tsv" using (sqrt(\$2)):0:(\$2 < 1 ? \$2 : 1):(\$2 >= 1 ? \$2 : 1):(\$0 - 0.35):(\$0 + 0.35):(\$2 >= 1 ? 0x3b7dd8 : 0xe08a2c):ytic(1) \
         with boxxyerror lc rgb variable title "goro advantage (blue: goro ahead, orange: Go ahead)", \
     "" using (\$3 > 0 ? \$3 : 1/0):0:(\$3 / 1.005):(\$3 * 1.005):(\$0 - 0.45):(\$0 + 0.45) \
         with boxxyerror lc rgb "#d62728" title "target"
EOF
    then
        say "wrote $SVG (gnuplot)"
        exit 0
    fi
    say "gnuplot failed (see $WORK/gnuplot.log); drawing the chart with awk"
fi

# ---- chart with awk (no gnuplot) ----------------------------------------------
awk -F'\t' -v title="$TITLE" '
function lg(x) { return log(x) / log(2) }
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
{ lab[NR] = $1; adv[NR] = $2 + 0; tg[NR] = $3 + 0; n = NR }
END {
    lo = 0; hi = 0
    for (i = 1; i <= n; i++) {
        v = lg(adv[i]); if (v < lo) lo = v; if (v > hi) hi = v
        if (tg[i] > 0) { v = lg(tg[i]); if (v < lo) lo = v; if (v > hi) hi = v }
    }
    lo = int(lo - 1); hi = int(hi + 1)          # whole powers of two, with room
    if (lo > -1) lo = -1; if (hi < 1) hi = 1
    left = 260; width = 600; top = 50; rowh = 18
    W = left + width + 30; H = top + n * rowh + 60
    scale = width / (hi - lo)
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n", W, H, W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"%d\" y=\"22\" font-size=\"13\" text-anchor=\"middle\">%s</text>\n", W / 2, esc(title)
    for (e = lo; e <= hi; e++) {                 # grid: one line per power of two
        x = left + (e - lo) * scale
        printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n", x, top - 5, x, top + n * rowh, (e == 0 ? "black" : "#dddddd")
        lbl = e >= 0 ? sprintf("%d", 2 ^ e) : sprintf("1/%d", 2 ^ -e)
        printf "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n", x, top + n * rowh + 14, lbl
    }
    x1 = left + (0 - lo) * scale
    for (i = 1; i <= n; i++) {
        y = top + (i - 1) * rowh
        x2 = left + (lg(adv[i]) - lo) * scale
        xa = x1 < x2 ? x1 : x2; w = x1 < x2 ? x2 - x1 : x1 - x2
        printf "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%s</text>\n", left - 6, y + 12, esc(lab[i])
        printf "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s: %.3g</title></rect>\n", xa, y + 3, (w < 1 ? 1 : w), rowh - 6, (adv[i] >= 1 ? "#3b7dd8" : "#e08a2c"), esc(lab[i]), adv[i]
        if (tg[i] > 0) {
            xt = left + (lg(tg[i]) - lo) * scale
            printf "<path d=\"M%.1f %d l6 6 m0 -6 l-6 6\" stroke=\"#d62728\" stroke-width=\"1.5\" transform=\"translate(-3 0)\"/>\n", xt, y + 4
        }
    }
    printf "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">advantage (log scale): &gt; 1 goro ahead (blue), &lt; 1 Go ahead (orange); red x = target</text>\n", left + width / 2, top + n * rowh + 34
    printf "</svg>\n"
}' "$WORK/chart.tsv" >"$SVG"
say "wrote $SVG (awk)"
