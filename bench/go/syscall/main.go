// SPDX-License-Identifier: MIT

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
	"syscall"
	"time"

	"gorobench/harness"
)

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
	n := harness.Arg(10000000) / 10
	harness.Header("syscall")
	fmt.Printf("# n=%d getpid calls per pass\n", n)
	// Interleave the two kinds so that both see the same machine.
	cold, v := harness.MeasureN(func() []float64 {
		s := viaSyscall(n)
		r := raw(n)
		return []float64{s - r, s, r}
	})
	for k, m := range []string{"ns_per_op_handoff", "ns_per_op_getpid", "ns_per_op_raw_getpid"} {
		harness.Report("syscall", m, cold[k], v[k])
	}
}
