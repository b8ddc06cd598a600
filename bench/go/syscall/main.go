// syscall: Go twin of bench/syscall.c. Go cannot call entersyscall and
// exitsyscall alone, so the handoff cost is syscall.Syscall(SYS_GETPID)
// (which brackets the system call with them) minus
// syscall.RawSyscall(SYS_GETPID) (which does not): ns_per_op_handoff. The
// two calls themselves are ns_per_op_getpid and ns_per_op_raw_getpid.
// (syscall.Getpid is a raw call in Go: getpid never blocks.) Median of 3
// passes after a warm-up pass; the handoff figure is the median of the
// per-pass differences.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: syscall [N]   (N/10 system calls per pass)
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"
)

const passes = 3

func arg(def int) int {
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil && v > 0 {
			return v
		}
	}
	return def
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(workload, metric string, cold float64, v []float64) {
	fmt.Printf("# %s %s passes:", workload, metric)
	for _, x := range v {
		fmt.Printf(" %.6g", x)
	}
	fmt.Println()
	fmt.Printf("%s cold_%s %.6g\n", workload, metric, cold)
	fmt.Printf("%s %s %.6g\n", workload, metric, median(v))
}

var sink uintptr

func viaSyscall(n int) float64 {
	var s uintptr
	t0 := time.Now()
	for i := 0; i < n; i++ {
		r, _, _ := syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
		s += r
	}
	sink = s
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func raw(n int) float64 {
	var s uintptr
	t0 := time.Now()
	for i := 0; i < n; i++ {
		r, _, _ := syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
		s += r
	}
	sink = s
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func main() {
	n := arg(10000000) / 10
	fmt.Printf("# syscall go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d getpid calls per pass\n", n)
	// Interleave the two kinds so that both see the same machine.
	coldS, coldR := viaSyscall(n), raw(n)
	vs, vr, vd := make([]float64, passes), make([]float64, passes), make([]float64, passes)
	for p := 0; p < passes; p++ {
		vs[p] = viaSyscall(n)
		vr[p] = raw(n)
		vd[p] = vs[p] - vr[p]
	}
	report("syscall", "ns_per_op_handoff", coldS-coldR, vd)
	report("syscall", "ns_per_op_getpid", coldS, vs)
	report("syscall", "ns_per_op_raw_getpid", coldR, vr)
}
