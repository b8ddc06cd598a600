// SPDX-License-Identifier: MIT

// select4: Go twin of bench/select4.c. Four producer goroutines each send
// N/4 items on their own channel and close it; main receives all N =
// 4,000,000 items with a select over the four channels, setting a channel
// found closed to nil so that its case never fires again; the loop ends
// when all four are closed. Measured with unbuffered channels and with
// capacity 128.
// Figures: ns per item (ns_per_op_unbuffered, ns_per_op_cap128), each the
// median of 3 passes after a warm-up pass (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: select4 [N]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

const nch = 4

func onePass(n, capacity int) float64 {
	runtime.GC()
	per := n / nch
	var ch [nch]chan int
	for k := range ch {
		ch[k] = make(chan int, capacity)
	}
	var producers sync.WaitGroup
	t0 := time.Now()
	for k := range ch {
		producers.Add(1)
		go func(c chan int, from, to int) {
			for i := from; i < to; i++ {
				c <- i
			}
			close(c)
			producers.Done()
		}(ch[k], k*per, (k+1)*per)
	}
	c0, c1, c2, c3 := ch[0], ch[1], ch[2], ch[3]
	sum, got := 0, 0
	for open := nch; open > 0; {
		select {
		case v, ok := <-c0:
			if !ok {
				c0 = nil
				open--
				continue
			}
			sum += v
		case v, ok := <-c1:
			if !ok {
				c1 = nil
				open--
				continue
			}
			sum += v
		case v, ok := <-c2:
			if !ok {
				c2 = nil
				open--
				continue
			}
			sum += v
		case v, ok := <-c3:
			if !ok {
				c3 = nil
				open--
				continue
			}
			sum += v
		}
		got++
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(got)
	producers.Wait()
	if got != per*nch || sum != got*(got-1)/2 {
		panic("select4 checksum")
	}
	return ns
}

func main() {
	n := harness.Arg(4000000)
	harness.Header("select4")
	fmt.Printf("# n=%d items over %d channels, unbuffered and cap 128\n", n, nch)
	coldU, vU := harness.Measure(func() float64 { return onePass(n, 0) })
	coldB, vB := harness.Measure(func() float64 { return onePass(n, 128) })
	harness.Report("select4", "ns_per_op_unbuffered", coldU, vU)
	harness.Report("select4", "ns_per_op_cap128", coldB, vB)
}
