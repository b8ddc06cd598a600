// SPDX-License-Identifier: MIT

// sleepers: Go twin of bench/sleepers.c. From main, start N = 100,000
// goroutines that each time.Sleep(time.Millisecond) once and then
// wg.Done(), and wg.Wait(). Each goroutine measures its own oversleep (the
// time its Sleep took, minus 1 ms). Figures: wall_ms, p99_oversleep_us,
// p50_oversleep_us and ns_per_sleep = (wall - 1 ms) / N, medians of 3
// passes after a warm-up pass (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: sleepers [N]
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"gorobench/harness"
)

var metrics = []string{"wall_ms", "p99_oversleep_us", "p50_oversleep_us", "ns_per_sleep"}

func onePass(over []int64) []float64 {
	n := len(over)
	runtime.GC()
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(slot *int64) {
			s := time.Now()
			time.Sleep(time.Millisecond)
			*slot = int64(time.Since(s) - time.Millisecond)
			wg.Done()
		}(&over[i])
	}
	wg.Wait()
	wall := time.Since(t0).Nanoseconds()
	sort.Slice(over, func(i, j int) bool { return over[i] < over[j] })
	var sum float64
	for _, o := range over {
		sum += float64(o)
	}
	out := []float64{
		float64(wall) / 1e6,
		float64(over[n*99/100]) / 1e3,
		float64(over[n/2]) / 1e3,
		float64(wall-int64(time.Millisecond)) / float64(n),
	}
	fmt.Printf("# pass: wall_ms %.1f mean_oversleep_us %.1f max_oversleep_us %.1f\n",
		out[0], sum/float64(n)/1e3, float64(over[n-1])/1e3)
	return out
}

func main() {
	n := harness.Arg(100000)
	harness.Header("sleepers")
	fmt.Printf("# n=%d sleep=1ms\n", n)
	over := make([]int64, n)
	cold, v := harness.MeasureN(func() []float64 { return onePass(over) })
	for k, m := range metrics {
		harness.Report("sleepers", m, cold[k], v[k])
	}
}
