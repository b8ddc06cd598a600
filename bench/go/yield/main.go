// yield: Go twin of bench/yield.c. Two goroutines on one P (GOMAXPROCS=1,
// set here too) alternate with runtime.Gosched; each yields N = 1,000,000
// times while main is parked in wg.Wait(). Figure: ns per Gosched call,
// median of 3 passes after a warm-up pass.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: yield [N]
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
	wg.Add(2)
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	t0 := time.Now()
	wg.Wait()
	return float64(time.Since(t0).Nanoseconds()) / float64(2*n)
}

func main() {
	n := arg(1000000)
	runtime.GOMAXPROCS(1)
	fmt.Printf("# yield go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d per goroutine, 2 goroutines\n", n)
	cold := onePass(n)
	v := make([]float64, passes)
	for p := range v {
		v[p] = onePass(n)
	}
	report("yield", "ns_per_op", cold, v)
}
