// SPDX-License-Identifier: MIT

// parked_memory: Go twin of bench/parked_memory.c. N = 100,000 goroutines
// each call wg.Done() and then block in time.Sleep(time.Hour). Figures: RSS
// increase per goroutine in bytes (/proc/self/statm before spawning vs
// after all are parked) and create_ms (first spawn until every goroutine
// started). One cold pass per process; main returning kills the sleepers.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: parked_memory [N]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

func main() {
	n := harness.Arg(100000)
	harness.Header("parked_memory")
	fmt.Printf("# n=%d\n", n)
	runtime.GC()
	rss0 := harness.RSSBytes()
	var started sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i++ {
		started.Add(1)
		go func() {
			started.Done()
			time.Sleep(time.Hour)
		}()
	}
	started.Wait()
	createMs := float64(time.Since(t0).Nanoseconds()) / 1e6
	time.Sleep(100 * time.Millisecond) // the last ones reach time.Sleep
	rss1 := harness.RSSBytes()
	fmt.Printf("# rss_before=%d rss_after=%d live=%d\n", rss0, rss1, runtime.NumGoroutine()-1)
	fmt.Printf("parked_memory bytes_per_goroutine %.6g\n", float64(rss1-rss0)/float64(n))
	fmt.Printf("parked_memory create_ms %.6g\n", createMs)
}
