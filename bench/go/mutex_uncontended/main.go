// SPDX-License-Identifier: MIT

// mutex_uncontended: Go twin of bench/mutex_uncontended.c. One goroutine
// (main) locks and unlocks a free sync.Mutex N = 50,000,000 times. Figure:
// ns per Lock + Unlock pair, median of 3 passes after a warm-up pass
// (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: mutex_uncontended [N]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

var mu sync.Mutex

func onePass(n int) float64 {
	runtime.GC()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		mu.Lock()
		mu.Unlock()
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func main() {
	n := harness.Arg(50000000)
	harness.Header("mutex_uncontended")
	fmt.Printf("# n=%d lock+unlock pairs\n", n)
	harness.Run("mutex_uncontended", "ns_per_op", func() float64 { return onePass(n) })
}
