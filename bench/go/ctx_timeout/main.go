// SPDX-License-Identifier: MIT

// ctx_timeout: Go twin of bench/ctx_timeout.c. N = 1,000,000 times:
// ctx, cancel := context.WithTimeout(context.Background(), time.Hour), then
// cancel() (the timer is armed and stopped each time; it never fires).
// Figure: ns per iteration, median of 3 passes after a warm-up pass
// (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: ctx_timeout [N]
package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"gorobench/harness"
)

var sink context.Context

func onePass(n int) float64 {
	runtime.GC()
	bg := context.Background()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(bg, time.Hour)
		cancel()
		sink = ctx
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func main() {
	n := harness.Arg(1000000)
	harness.Header("ctx_timeout")
	fmt.Printf("# n=%d timeout=1h\n", n)
	harness.Run("ctx_timeout", "ns_per_op", func() float64 { return onePass(n) })
}
