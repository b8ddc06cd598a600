// SPDX-License-Identifier: MIT

// pairs: Go twin of bench/pairs.c. K independent ping-pong pairs (default
// 64), each two goroutines and two unbuffered channels, doing N/K round
// trips each (N = 2,000,000 in all). Figure: ns per round trip of the whole
// set (wall time / N), median of 3 passes after a warm-up pass
// (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: pairs [N [K]]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

func onePass(n, k int) float64 {
	runtime.GC()
	per := n / k
	sums := make([]int, k)
	var wg sync.WaitGroup
	wg.Add(2 * k)
	t0 := time.Now()
	for j := 0; j < k; j++ {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
			wg.Done()
		}()
		go func(j int) {
			sum := 0
			for i := 0; i < per; i++ {
				ping <- i
				sum += <-pong
			}
			close(ping)
			sums[j] = sum
			wg.Done()
		}(j)
	}
	wg.Wait()
	ns := float64(time.Since(t0).Nanoseconds()) / float64(per*k)
	for _, s := range sums {
		if s != per*(per-1)/2 {
			panic("pairs checksum")
		}
	}
	return ns
}

func main() {
	n := harness.Arg(2000000)
	k := harness.ArgAt(2, 64)
	harness.Header("pairs")
	fmt.Printf("# n=%d round trips over %d pairs\n", n, k)
	harness.Run("pairs", "ns_per_op", func() float64 { return onePass(n, k) })
}
