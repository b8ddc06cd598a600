// SPDX-License-Identifier: MIT

// workerpool: Go twin of bench/workerpool.c. 5 worker goroutines range over
// a jobs channel (capacity 100) and send job*job on a results channel
// (capacity 100). A feeder goroutine sends N = 1,000,000 jobs and closes
// jobs; a closer goroutine waits for the workers and closes results; main
// ranges over results.
// Figure: ns per job (end to end), median of 3 passes after a warm-up pass
// (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: workerpool [N]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

const (
	nworkers = 5
	capacity = 100
)

func onePass(n int) float64 {
	runtime.GC()
	jobs := make(chan int, capacity)
	results := make(chan int, capacity)
	var workers, helpers sync.WaitGroup

	t0 := time.Now()
	for w := 0; w < nworkers; w++ {
		workers.Add(1)
		go func() {
			for job := range jobs {
				results <- job * job
			}
			workers.Done()
		}()
	}
	helpers.Add(2)
	go func() { // closer
		workers.Wait()
		close(results)
		helpers.Done()
	}()
	go func() { // feeder
		for i := 0; i < n; i++ {
			jobs <- i
		}
		close(jobs)
		helpers.Done()
	}()
	sum, got := 0, 0
	for r := range results {
		sum += r
		got++
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(n)

	helpers.Wait()
	if got != n {
		panic("workerpool count")
	}
	_ = sum
	return ns
}

func main() {
	n := harness.Arg(1000000)
	harness.Header("workerpool")
	fmt.Printf("# n=%d jobs, %d workers, jobs and results cap %d\n", n, nworkers, capacity)
	harness.Run("workerpool", "ns_per_op", func() float64 { return onePass(n) })
}
