// SPDX-License-Identifier: MIT

// spawn_join: Go twin of bench/spawn_join.c. From the main goroutine, spawn
// N = 1,000,000 goroutines that each do trivial work and wg.Done(), then
// wg.Wait(). Figure: ns per goroutine, median of 3 passes after a warm-up
// pass (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: spawn_join [N]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

func onePass(n int) float64 {
	runtime.GC()
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(n int) {
			_ = n * n
			wg.Done()
		}(i)
	}
	wg.Wait()
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func main() {
	n := harness.Arg(1000000)
	harness.Header("spawn_join")
	fmt.Printf("# n=%d\n", n)
	harness.Run("spawn_join", "ns_per_op", func() float64 { return onePass(n) })
}
