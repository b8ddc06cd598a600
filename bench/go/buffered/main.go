// SPDX-License-Identifier: MIT

// buffered: Go twin of bench/buffered.c. A chan int with capacity 128
// carries N = 10,000,000 items, in two configurations, each measured on
// its own:
//   - 1p1c: one producer goroutine sends 0..N-1 and closes; main ranges
//     over the channel;
//   - 4p4c: four producers send N/4 items each; four consumer goroutines
//     range over the channel; main waits for the producers, closes the
//     channel and waits for the consumers.
//
// Figures: ns per item (ns_per_op_1p1c, ns_per_op_4p4c), each the median of
// 3 passes after a warm-up pass (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: buffered [N]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

const (
	capacity = 128
	nprod    = 4
	ncons    = 4
)

func pass1p1c(n int) float64 {
	runtime.GC()
	ch := make(chan int, capacity)
	t0 := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			ch <- i
		}
		close(ch)
	}()
	sum := 0
	for v := range ch {
		sum += v
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(n)
	if sum != n*(n-1)/2 {
		panic("buffered 1p1c checksum")
	}
	return ns
}

func pass4p4c(n int) float64 {
	runtime.GC()
	ch := make(chan int, capacity)
	per := n / nprod
	var producers, consumers sync.WaitGroup
	var partial [ncons]int
	t0 := time.Now()
	for c := 0; c < ncons; c++ {
		consumers.Add(1)
		go func(slot int) {
			sum := 0
			for v := range ch {
				sum += v
			}
			partial[slot] = sum
			consumers.Done()
		}(c)
	}
	for p := 0; p < nprod; p++ {
		producers.Add(1)
		go func(from, to int) {
			for i := from; i < to; i++ {
				ch <- i
			}
			producers.Done()
		}(p*per, (p+1)*per)
	}
	producers.Wait()
	close(ch)
	consumers.Wait()
	total := per * nprod
	ns := float64(time.Since(t0).Nanoseconds()) / float64(total)
	sum := 0
	for _, s := range partial {
		sum += s
	}
	if sum != total*(total-1)/2 {
		panic("buffered 4p4c checksum")
	}
	return ns
}

func main() {
	n := harness.Arg(10000000)
	harness.Header("buffered")
	fmt.Printf("# n=%d items, cap %d, 1p1c and %dp%dc\n", n, capacity, nprod, ncons)
	cold1, v1 := harness.Measure(func() float64 { return pass1p1c(n) })
	cold4, v4 := harness.Measure(func() float64 { return pass4p4c(n) })
	harness.Report("buffered", "ns_per_op_1p1c", cold1, v1)
	harness.Report("buffered", "ns_per_op_4p4c", cold4, v4)
}
