// SPDX-License-Identifier: MIT

// idle_cpu: Go twin of bench/idle_cpu.c. After a burst of work (1,000
// goroutines that each Gosched, sleep 1 ms and finish), measure process CPU
// time (getrusage, user + system) used while main sleeps for 1 second.
// Figure: CPU ms per idle second, median of 3 passes after a warm-up pass.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: idle_cpu [idle_ms]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

const burst = 1000

func onePass(idleMs int) float64 {
	var wg sync.WaitGroup
	for i := 0; i < burst; i++ {
		wg.Add(1)
		go func() {
			runtime.Gosched()
			time.Sleep(time.Millisecond)
			wg.Done()
		}()
	}
	wg.Wait()
	c0 := harness.CPUNs()
	time.Sleep(time.Duration(idleMs) * time.Millisecond)
	c1 := harness.CPUNs()
	return float64(c1-c0) / 1e6 * (1000.0 / float64(idleMs))
}

func main() {
	idleMs := harness.Arg(1000)
	harness.Header("idle_cpu")
	fmt.Printf("# idle_ms=%d burst=%d\n", idleMs, burst)
	harness.Run("idle_cpu", "cpu_ms", func() float64 { return onePass(idleMs) })
}
