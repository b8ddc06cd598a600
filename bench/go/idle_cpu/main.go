// idle_cpu: Go twin of bench/idle_cpu.c. After a burst of work (1,000
// goroutines that each Gosched, sleep 1 ms and finish), measure process CPU
// time (getrusage, user + system) used while main sleeps for 1 second.
// Figure: CPU ms per idle second, median of 3 passes after a warm-up pass.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: idle_cpu [idle_ms]
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const (
	passes = 3
	burst  = 1000
)

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

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func onePass(idleMs int) float64 {
	var wg sync.WaitGroup
	for i := 0; i < burst; i++ {
		wg.Add(1)
		go func() {
			runtime.Gosched()
			time.Sleep(time.Millisecond)
			wg.Done()
		}()
	}
	wg.Wait()
	c0 := cpuNs()
	time.Sleep(time.Duration(idleMs) * time.Millisecond)
	c1 := cpuNs()
	return float64(c1-c0) / 1e6 * (1000.0 / float64(idleMs))
}

func main() {
	idleMs := arg(1000)
	fmt.Printf("# idle_cpu go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# idle_ms=%d burst=%d\n", idleMs, burst)
	cold := onePass(idleMs)
	v := make([]float64, passes)
	for p := range v {
		v[p] = onePass(idleMs)
	}
	report("idle_cpu", "cpu_ms", cold, v)
}
