// SPDX-License-Identifier: MIT

// Package harness is the shared driver of goro's Go benchmark twins
// (bench/go/<name>/main.go), the Go side of bench/bench.h: the same method
// (one warm-up pass reported as cold_<metric>, then Passes measured passes
// whose median is the figure) and the same output format, on stdout:
//
//	<workload> <metric> <value>
//
// plus comment lines starting with '#' (settings, per-pass values) that
// bench/run.sh ignores.
package harness

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"syscall"
)

// Passes is the number of measured passes after the warm-up pass.
const Passes = 3

// Arg is the optional size override: os.Args[1] if given and positive,
// else def.
func Arg(def int) int { return ArgAt(1, def) }

// ArgAt is os.Args[i] if given and positive, else def.
func ArgAt(i, def int) int {
	if len(os.Args) > i {
		if v, err := strconv.Atoi(os.Args[i]); err == nil && v > 0 {
			return v
		}
	}
	return def
}

// Header prints the settings comment every program starts with.
func Header(workload string) {
	fmt.Printf("# %s go maxprocs=%d ncpu=%d\n", workload, runtime.GOMAXPROCS(0), runtime.NumCPU())
}

// Median of v; does not reorder v.
func Median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Report prints the per-pass values as a comment, the cold pass and the
// median.
func Report(workload, metric string, cold float64, v []float64) {
	fmt.Printf("# %s %s passes:", workload, metric)
	for _, x := range v {
		fmt.Printf(" %.6g", x)
	}
	fmt.Println()
	fmt.Printf("%s cold_%s %.6g\n", workload, metric, cold)
	fmt.Printf("%s %s %.6g\n", workload, metric, Median(v))
}

// Measure runs one warm-up pass and then the measured passes.
func Measure(pass func() float64) (float64, []float64) {
	cold := pass()
	v := make([]float64, Passes)
	for p := range v {
		v[p] = pass()
	}
	return cold, v
}

// Run measures pass (Measure) and reports it (Report).
func Run(workload, metric string, pass func() float64) {
	cold, v := Measure(pass)
	Report(workload, metric, cold, v)
}

// MeasureN is Measure for a pass that yields several figures at once:
// cold[k] is figure k of the warm-up pass, v[k][p] figure k of pass p.
func MeasureN(pass func() []float64) (cold []float64, v [][]float64) {
	cold = pass()
	v = make([][]float64, len(cold))
	for k := range v {
		v[k] = make([]float64, Passes)
	}
	for p := 0; p < Passes; p++ {
		r := pass()
		for k := range v {
			v[k][p] = r[k]
		}
	}
	return cold, v
}

// RSSBytes is the resident set size in bytes, from /proc/self/statm.
func RSSBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	var size, rss int64
	if _, err := fmt.Sscan(string(b), &size, &rss); err != nil {
		return -1
	}
	return rss * int64(os.Getpagesize())
}

// CPUNs is the process's CPU time (user + system, all threads) in ns.
func CPUNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
