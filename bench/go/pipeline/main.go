// SPDX-License-Identifier: MIT

// pipeline: Go twin of bench/pipeline.c. gen -> square -> square -> main
// over unbuffered channels: gen sends 0..N-1 (N = 1,000,000) and closes;
// each square stage ranges over its input, sends n*n (uint64, wrapping) and
// closes its output; main ranges over the last channel.
// Figure: ns per item (end to end), median of 3 passes after a warm-up
// pass (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: pipeline [N]
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
	var stages sync.WaitGroup
	gen := func(out chan<- uint64) {
		for i := uint64(0); i < uint64(n); i++ {
			out <- i
		}
		close(out)
		stages.Done()
	}
	square := func(in <-chan uint64, out chan<- uint64) {
		for v := range in {
			out <- v * v
		}
		close(out)
		stages.Done()
	}
	c0, c1, c2 := make(chan uint64), make(chan uint64), make(chan uint64)

	t0 := time.Now()
	stages.Add(3)
	go gen(c0)
	go square(c0, c1)
	go square(c1, c2)
	var sum uint64
	got := 0
	for v := range c2 {
		sum += v
		got++
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(n)

	stages.Wait()
	if got != n {
		panic("pipeline count")
	}
	_ = sum
	return ns
}

func main() {
	n := harness.Arg(1000000)
	harness.Header("pipeline")
	fmt.Printf("# n=%d items, gen -> square -> square -> main, unbuffered\n", n)
	harness.Run("pipeline", "ns_per_op", func() float64 { return onePass(n) })
}
