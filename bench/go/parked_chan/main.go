// SPDX-License-Identifier: MIT

// parked_chan: Go twin of bench/parked_chan.c. N = 100,000 goroutines,
// each blocked receiving on its own unbuffered channel: main makes each
// channel and starts its goroutine, which calls started.Done() and then
// receives. Then main closes every channel and waits for all of them.
// Figures: RSS increase per goroutine in bytes, channel included
// (/proc/self/statm, before the first channel vs after all are parked);
// create_ms (first spawn until every goroutine started); release_ns_per_g
// (closing every channel until all have returned, per goroutine). One cold
// pass per process.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: parked_chan [N]
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
	harness.Header("parked_chan")
	fmt.Printf("# n=%d\n", n)
	chans := make([]chan int, n)
	runtime.GC()
	rss0 := harness.RSSBytes()
	var started, exited sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i++ {
		ch := make(chan int)
		chans[i] = ch
		started.Add(1)
		exited.Add(1)
		go func() {
			started.Done()
			<-ch
			exited.Done()
		}()
	}
	started.Wait()
	createMs := float64(time.Since(t0).Nanoseconds()) / 1e6
	time.Sleep(100 * time.Millisecond) // the last ones reach their receive
	rss1 := harness.RSSBytes()
	live := runtime.NumGoroutine() - 1

	t1 := time.Now()
	for _, ch := range chans {
		close(ch)
	}
	exited.Wait()
	releaseNs := float64(time.Since(t1).Nanoseconds()) / float64(n)

	fmt.Printf("# rss_before=%d rss_after=%d live=%d\n", rss0, rss1, live)
	fmt.Printf("parked_chan bytes_per_goroutine %.6g\n", float64(rss1-rss0)/float64(n))
	fmt.Printf("parked_chan create_ms %.6g\n", createMs)
	fmt.Printf("parked_chan release_ns_per_g %.6g\n", releaseNs)
}
