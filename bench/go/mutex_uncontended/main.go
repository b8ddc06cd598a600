// mutex_uncontended: Go twin of bench/mutex_uncontended.c. One goroutine
// (main) locks and unlocks a free sync.Mutex N = 50,000,000 times. Figure:
// ns per Lock + Unlock pair, median of 3 passes after a warm-up pass
// (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: mutex_uncontended [N]
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

var mu sync.Mutex

func onePass(n int) float64 {
	runtime.GC()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		mu.Lock()
		mu.Unlock()
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func main() {
	n := arg(50000000)
	fmt.Printf("# mutex_uncontended go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d lock+unlock pairs\n", n)
	cold := onePass(n)
	v := make([]float64, passes)
	for p := range v {
		v[p] = onePass(n)
	}
	report("mutex_uncontended", "ns_per_op", cold, v)
}
