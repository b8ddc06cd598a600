// SPDX-License-Identifier: MIT

// pingpong: Go twin of bench/pingpong.c. Two goroutines, two unbuffered
// channels: main sends i on ping and waits for it back on pong, N =
// 1,000,000 times; the other goroutine receives on ping and sends what it
// got on pong. Figure: ns per round trip, median of 3 passes after a
// warm-up pass (runtime.GC() before each pass). Each
// pass makes its own channels and partner goroutine (not timed).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: pingpong [N]
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
	ping, pong := make(chan int), make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		for v := range ping {
			pong <- v
		}
		wg.Done()
	}()

	sum := 0
	t0 := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		sum += <-pong
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(n)

	close(ping)
	wg.Wait()
	if sum != n*(n-1)/2 {
		panic("pingpong checksum")
	}
	return ns
}

func main() {
	n := harness.Arg(1000000)
	harness.Header("pingpong")
	fmt.Printf("# n=%d round trips\n", n)
	harness.Run("pingpong", "ns_per_op", func() float64 { return onePass(n) })
}
