// sleepers: Go twin of bench/sleepers.c. From main, start N = 100,000
// goroutines that each time.Sleep(time.Millisecond) once and then
// wg.Done(), and wg.Wait(). Each goroutine measures its own oversleep (the
// time its Sleep took, minus 1 ms). Figures: wall_ms, p99_oversleep_us,
// p50_oversleep_us and ns_per_sleep = (wall - 1 ms) / N, medians of 3
// passes after a warm-up pass (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: sleepers [N]
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

var metrics = []string{"wall_ms", "p99_oversleep_us", "p50_oversleep_us", "ns_per_sleep"}

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

func onePass(over []int64) []float64 {
	n := len(over)
	runtime.GC()
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(slot *int64) {
			s := time.Now()
			time.Sleep(time.Millisecond)
			*slot = int64(time.Since(s) - time.Millisecond)
			wg.Done()
		}(&over[i])
	}
	wg.Wait()
	wall := time.Since(t0).Nanoseconds()
	sort.Slice(over, func(i, j int) bool { return over[i] < over[j] })
	var sum float64
	for _, o := range over {
		sum += float64(o)
	}
	out := []float64{
		float64(wall) / 1e6,
		float64(over[n*99/100]) / 1e3,
		float64(over[n/2]) / 1e3,
		float64(wall-int64(time.Millisecond)) / float64(n),
	}
	fmt.Printf("# pass: wall_ms %.1f mean_oversleep_us %.1f max_oversleep_us %.1f\n",
		out[0], sum/float64(n)/1e3, float64(over[n-1])/1e3)
	return out
}

func main() {
	n := arg(100000)
	fmt.Printf("# sleepers go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d sleep=1ms\n", n)
	over := make([]int64, n)
	cold := onePass(over)
	v := make([][]float64, len(metrics))
	for k := range v {
		v[k] = make([]float64, passes)
	}
	for p := 0; p < passes; p++ {
		r := onePass(over)
		for k := range metrics {
			v[k][p] = r[k]
		}
	}
	for k, m := range metrics {
		report("sleepers", m, cold[k], v[k])
	}
}
