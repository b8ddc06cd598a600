// SPDX-License-Identifier: MIT

// cancel_fanout: Go twin of bench/cancel_fanout.c. N = 10,000 goroutines
// each blocked in <-ctx.Done() of one context.WithCancel context; main
// calls cancel() and times how long it takes until all N have exited
// (each calls wg.Done() after its receive returns). Before timing, main
// waits until every goroutine has started and then 10 ms more, so that all
// are parked. Figures: cancel_us and ns_per_goroutine, medians of 3 passes
// after a warm-up pass (runtime.GC() before each pass); setup_us and
// call_us (the cancel() call alone) as comments.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: cancel_fanout [N]
package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

// onePass returns cancel -> all exited, the setup time and the cancel
// call, in ns.
func onePass(n int) (float64, float64, float64) {
	runtime.GC()
	ctx, cancel := context.WithCancel(context.Background())
	var started, exited sync.WaitGroup
	t0 := time.Now()
	started.Add(n)
	exited.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			<-ctx.Done()
			exited.Done()
		}()
	}
	started.Wait()
	setup := float64(time.Since(t0).Nanoseconds())
	time.Sleep(10 * time.Millisecond) // the last ones park

	t1 := time.Now()
	cancel()
	call := float64(time.Since(t1).Nanoseconds())
	exited.Wait()
	return float64(time.Since(t1).Nanoseconds()), setup, call
}

func main() {
	n := harness.Arg(10000)
	harness.Header("cancel_fanout")
	fmt.Printf("# n=%d\n", n)
	cold, v := harness.MeasureN(func() []float64 {
		ns, setup, call := onePass(n)
		return []float64{ns / 1e3, ns / float64(n), setup, call}
	})
	fmt.Printf("# setup_us (spawn until all started): cold %.0f, passes", cold[2]/1e3)
	for _, s := range v[2] {
		fmt.Printf(" %.0f", s/1e3)
	}
	fmt.Printf("\n# call_us (the cancel() call alone): cold %.0f, passes", cold[3]/1e3)
	for _, c := range v[3] {
		fmt.Printf(" %.0f", c/1e3)
	}
	fmt.Println()
	harness.Report("cancel_fanout", "cancel_us", cold[0], v[0])
	harness.Report("cancel_fanout", "ns_per_goroutine", cold[1], v[1])
}
