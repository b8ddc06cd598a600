// SPDX-License-Identifier: MIT

// timers_pending: Go twin of bench/timers_pending.c. main creates N =
// 1,000,000 timers with time.NewTimer(time.Hour), none of which fires
// during the run, then sits idle for 1 s (time.Sleep) with all of them
// pending. Figures: cpu_ms (process CPU time, getrusage user + system,
// used during the idle second; target 0), bytes_per_timer (RSS increase
// from before creating to after, divided by N), create_ns_per_timer, and
// stop_ns_per_timer (t.Stop() on each afterwards). One cold pass per
// process; runtime.GC() before the first RSS reading.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: timers_pending [N]
package main

import (
	"fmt"
	"runtime"
	"time"

	"gorobench/harness"
)

func main() {
	n := harness.Arg(1000000)
	harness.Header("timers_pending")
	fmt.Printf("# n=%d timeout=1h idle=1s\n", n)
	timers := make([]*time.Timer, n) // not charged to the timers
	for i := range timers {
		timers[i] = nil
	}
	runtime.GC()
	rss0 := harness.RSSBytes()
	t0 := time.Now()
	for i := range timers {
		timers[i] = time.NewTimer(time.Hour)
	}
	createNs := float64(time.Since(t0).Nanoseconds()) / float64(n)
	rss1 := harness.RSSBytes()

	time.Sleep(10 * time.Millisecond) // let the threads go idle
	c0, w0 := harness.CPUNs(), time.Now()
	time.Sleep(time.Second)
	c1, w1 := harness.CPUNs(), time.Now()
	cpuMs := float64(c1-c0) / 1e6 * (1e9 / float64(w1.Sub(w0).Nanoseconds()))

	t1 := time.Now()
	for _, t := range timers {
		t.Stop()
	}
	stopNs := float64(time.Since(t1).Nanoseconds()) / float64(n)
	fmt.Printf("# rss_before=%d rss_after=%d\n", rss0, rss1)
	fmt.Printf("timers_pending cpu_ms %.4g\n", cpuMs)
	fmt.Printf("timers_pending bytes_per_timer %.4g\n", float64(rss1-rss0)/float64(n))
	fmt.Printf("timers_pending create_ns_per_timer %.4g\n", createNs)
	fmt.Printf("timers_pending stop_ns_per_timer %.4g\n", stopNs)
	runtime.KeepAlive(timers)
}
