// ctx_timeout: Go twin of bench/ctx_timeout.c. N = 1,000,000 times:
// ctx, cancel := context.WithTimeout(context.Background(), time.Hour), then
// cancel() (the timer is armed and stopped each time; it never fires).
// Figure: ns per iteration, median of 3 passes after a warm-up pass
// (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: ctx_timeout [N]
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
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

var sink context.Context

func onePass(n int) float64 {
	runtime.GC()
	bg := context.Background()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(bg, time.Hour)
		cancel()
		sink = ctx
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func main() {
	n := arg(1000000)
	fmt.Printf("# ctx_timeout go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d timeout=1h\n", n)
	cold := onePass(n)
	v := make([]float64, passes)
	for p := range v {
		v[p] = onePass(n)
	}
	report("ctx_timeout", "ns_per_op", cold, v)
}
