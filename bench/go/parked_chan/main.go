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
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func arg(def int) int {
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil && v > 0 {
			return v
		}
	}
	return def
}

func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	var size, rss int64
	if _, err := fmt.Sscan(string(b), &size, &rss); err != nil {
		return -1
	}
	return rss * int64(os.Getpagesize())
}

func main() {
	n := arg(100000)
	fmt.Printf("# parked_chan go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d\n", n)
	chans := make([]chan int, n)
	runtime.GC()
	rss0 := rssBytes()
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
	rss1 := rssBytes()
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
