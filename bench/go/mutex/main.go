// SPDX-License-Identifier: MIT

// mutex: Go twin of bench/mutex.c. G goroutines (G = 2, 8, 100) increment
// one counter under one sync.Mutex, N = 10,000,000 increments in total
// (N/G each). Figures, per G: ns per increment (total time / N) and
// process CPU ns per increment (getrusage, every thread), medians of 3
// passes after a warm-up pass (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: mutex [N]
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

var (
	mu      sync.Mutex
	counter int
)

// onePass returns wall and process CPU ns per increment.
func onePass(n, g int) []float64 {
	runtime.GC()
	per := n / g
	counter = 0
	var wg sync.WaitGroup
	c0 := harness.CPUNs()
	t0 := time.Now()
	wg.Add(g)
	for i := 0; i < g; i++ {
		go func() {
			for j := 0; j < per; j++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	cpu := harness.CPUNs() - c0
	if counter != per*g {
		fmt.Fprintf(os.Stderr, "bench: counter %d, want %d\n", counter, per*g)
		os.Exit(1)
	}
	return []float64{float64(el.Nanoseconds()) / float64(per*g), float64(cpu) / float64(per*g)}
}

func main() {
	n := harness.Arg(10000000)
	harness.Header("mutex")
	fmt.Printf("# n=%d increments per pass; goroutines 2, 8, 100\n", n)
	gs := []int{2, 8, 100}
	colds := make([][]float64, len(gs))
	vs := make([][][]float64, len(gs))
	for k, g := range gs {
		g := g
		colds[k], vs[k] = harness.MeasureN(func() []float64 { return onePass(n, g) })
	}
	for k, g := range gs {
		harness.Report("mutex", fmt.Sprintf("ns_per_op_g%d", g), colds[k][0], vs[k][0])
		harness.Report("mutex", fmt.Sprintf("cpu_ns_per_op_g%d", g), colds[k][1], vs[k][1])
	}
}
