// spawn_join: Go twin of bench/spawn_join.c. From the main goroutine, spawn
// N = 1,000,000 goroutines that each do trivial work and wg.Done(), then
// wg.Wait(). Figure: ns per goroutine, median of 3 passes after a warm-up
// pass (runtime.GC() before each pass, as in the baselines).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: spawn_join [N]
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

func onePass(n int) float64 {
	runtime.GC()
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(n int) {
			_ = n * n
			wg.Done()
		}(i)
	}
	wg.Wait()
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func main() {
	n := arg(1000000)
	fmt.Printf("# spawn_join go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d\n", n)
	cold := onePass(n)
	v := make([]float64, passes)
	for p := range v {
		v[p] = onePass(n)
	}
	report("spawn_join", "ns_per_op", cold, v)
}
