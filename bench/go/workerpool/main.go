// workerpool: Go twin of bench/workerpool.c. 5 worker goroutines range over
// a jobs channel (capacity 100) and send job*job on a results channel
// (capacity 100). A feeder goroutine sends N = 1,000,000 jobs and closes
// jobs; a closer goroutine waits for the workers and closes results; main
// ranges over results.
// Figure: ns per job (end to end), median of 3 passes after a warm-up pass
// (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: workerpool [N]
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

const (
	nworkers = 5
	capacity = 100
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
	jobs := make(chan int, capacity)
	results := make(chan int, capacity)
	var workers, helpers sync.WaitGroup

	t0 := time.Now()
	for w := 0; w < nworkers; w++ {
		workers.Add(1)
		go func() {
			for job := range jobs {
				results <- job * job
			}
			workers.Done()
		}()
	}
	helpers.Add(2)
	go func() { // closer
		workers.Wait()
		close(results)
		helpers.Done()
	}()
	go func() { // feeder
		for i := 0; i < n; i++ {
			jobs <- i
		}
		close(jobs)
		helpers.Done()
	}()
	sum, got := 0, 0
	for r := range results {
		sum += r
		got++
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(n)

	helpers.Wait()
	if got != n {
		panic("workerpool count")
	}
	_ = sum
	return ns
}

func main() {
	n := arg(1000000)
	fmt.Printf("# workerpool go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d jobs, %d workers, jobs and results cap %d\n", n, nworkers, capacity)
	cold, v := measure(func() float64 { return onePass(n) })
	report("workerpool", "ns_per_op", cold, v)
}
