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
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

const passes = 3

func arg(def int) int {
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil && v > 0 {
			return v
		}
	}
	return def
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(workload, metric string, cold float64, v []float64) {
	fmt.Printf("# %s %s passes:", workload, metric)
	for _, x := range v {
		fmt.Printf(" %.6g", x)
	}
	fmt.Println()
	fmt.Printf("%s cold_%s %.6g\n", workload, metric, cold)
	fmt.Printf("%s %s %.6g\n", workload, metric, median(v))
}

// measure runs one warm-up pass and then the measured passes.
func measure(pass func() float64) (float64, []float64) {
	cold := pass()
	v := make([]float64, passes)
	for p := range v {
		v[p] = pass()
	}
	return cold, v
}

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
	n := arg(1000000)
	fmt.Printf("# pipeline go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d items, gen -> square -> square -> main, unbuffered\n", n)
	cold, v := measure(func() float64 { return onePass(n) })
	report("pipeline", "ns_per_op", cold, v)
}
