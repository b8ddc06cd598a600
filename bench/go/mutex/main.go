// mutex: Go twin of bench/mutex.c. G goroutines (G = 2, 8, 100) increment
// one counter under one sync.Mutex, N = 10,000,000 increments in total
// (N/G each). Figure, per G: ns per increment (total time / N), median of
// 3 passes after a warm-up pass (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: mutex [N]
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

var (
	mu      sync.Mutex
	counter int
)

func onePass(n, g int) float64 {
	runtime.GC()
	per := n / g
	counter = 0
	var wg sync.WaitGroup
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
	if counter != per*g {
		fmt.Fprintf(os.Stderr, "bench: counter %d, want %d\n", counter, per*g)
		os.Exit(1)
	}
	return float64(el.Nanoseconds()) / float64(per*g)
}

func main() {
	n := arg(10000000)
	fmt.Printf("# mutex go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d increments per pass; goroutines 2, 8, 100\n", n)
	gs := []int{2, 8, 100}
	colds := make([]float64, len(gs))
	vs := make([][]float64, len(gs))
	for k, g := range gs {
		colds[k] = onePass(n, g)
		vs[k] = make([]float64, passes)
		for p := range vs[k] {
			vs[k][p] = onePass(n, g)
		}
	}
	for k, g := range gs {
		report("mutex", fmt.Sprintf("ns_per_op_g%d", g), colds[k], vs[k])
	}
}
