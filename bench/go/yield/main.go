// SPDX-License-Identifier: MIT

// yield: Go twin of bench/yield.c. Two goroutines on one P (GOMAXPROCS=1,
// set here too) alternate with runtime.Gosched; each yields N = 1,000,000
// times while main is parked in wg.Wait(). Figure: ns per Gosched call,
// median of 3 passes after a warm-up pass.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: yield [N]
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
	wg.Add(2)
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	t0 := time.Now()
	wg.Wait()
	return float64(time.Since(t0).Nanoseconds()) / float64(2*n)
}

func main() {
	n := harness.Arg(1000000)
	runtime.GOMAXPROCS(1)
	harness.Header("yield")
	fmt.Printf("# n=%d per goroutine, 2 goroutines\n", n)
	harness.Run("yield", "ns_per_op", func() float64 { return onePass(n) })
}
