// SPDX-License-Identifier: MIT

// waitgroup_fanout: Go twin of bench/waitgroup_fanout.c. N = 100,000
// goroutines block in Wait on one "gate" WaitGroup; one Done on the gate
// releases them all, and each then calls Done on a "finished" WaitGroup
// that main waits on, and blocks again on a second gate (opened after the
// timing, so goroutine exit is not timed). Figures, median of 3 passes
// after a warm-up pass (runtime.GC() before each pass):
// release_ns_per_g (gate Done to the last finished Done, per
// goroutine) and total_ns_per_g (the whole pass including the
// second release and exit, less the 1 ms settling sleep, per goroutine).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: waitgroup_fanout [N]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

func onePass(n int) (float64, float64) {
	runtime.GC()
	var gate, ready, finished, gate2, exited sync.WaitGroup
	t0 := time.Now()
	gate.Add(1)
	ready.Add(n)
	finished.Add(n)
	gate2.Add(1)
	exited.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			ready.Done()
			gate.Wait()
			finished.Done()
			gate2.Wait()
			exited.Done()
		}()
	}
	ready.Wait()
	time.Sleep(time.Millisecond) // the last ones reach their Wait
	t1 := time.Now()
	gate.Done()
	finished.Wait()
	t2 := time.Now()
	gate2.Done()
	exited.Wait()
	t3 := time.Now()
	release := float64(t2.Sub(t1).Nanoseconds()) / float64(n)
	total := float64(t3.Sub(t0).Nanoseconds()-int64(time.Millisecond)) / float64(n)
	return release, total
}

func main() {
	n := harness.Arg(100000)
	harness.Header("waitgroup_fanout")
	fmt.Printf("# n=%d goroutines\n", n)
	cold, v := harness.MeasureN(func() []float64 {
		release, total := onePass(n)
		return []float64{release, total}
	})
	harness.Report("waitgroup_fanout", "release_ns_per_g", cold[0], v[0])
	harness.Report("waitgroup_fanout", "total_ns_per_g", cold[1], v[1])
}
