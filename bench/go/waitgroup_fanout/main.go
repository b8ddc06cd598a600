// waitgroup_fanout: Go twin of bench/waitgroup_fanout.c. N = 100,000
// goroutines block in Wait on one "gate" WaitGroup; one Done on the gate
// releases them all, and each then calls Done on a "finished" WaitGroup
// that main waits on, and blocks again on a second gate (opened after the
// timing, so goroutine exit is not timed). Figures, median of 3 passes
// after a warm-up pass (runtime.GC() before each pass):
// release_ns_per_g (gate Done to the last finished Done, per
// goroutine) and total_ns_per_g (the whole pass including the
// second release and exit, less the 1 ms settling sleep, per goroutine).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: waitgroup_fanout [N]
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

func onePass(n int) (float64, float64) {
	runtime.GC()
	var gate, ready, finished, gate2, exited sync.WaitGroup
	t0 := time.Now()
	gate.Add(1)
	ready.Add(n)
	finished.Add(n)
	gate2.Add(1)
	exited.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			ready.Done()
			gate.Wait()
			finished.Done()
			gate2.Wait()
			exited.Done()
		}()
	}
	ready.Wait()
	time.Sleep(time.Millisecond) // the last ones reach their Wait
	t1 := time.Now()
	gate.Done()
	finished.Wait()
	t2 := time.Now()
	gate2.Done()
	exited.Wait()
	t3 := time.Now()
	release := float64(t2.Sub(t1).Nanoseconds()) / float64(n)
	total := float64(t3.Sub(t0).Nanoseconds()-int64(time.Millisecond)) / float64(n)
	return release, total
}

func main() {
	n := arg(100000)
	fmt.Printf("# waitgroup_fanout go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d goroutines\n", n)
	coldRel, coldTot := onePass(n)
	rel := make([]float64, passes)
	tot := make([]float64, passes)
	for p := range rel {
		rel[p], tot[p] = onePass(n)
	}
	report("waitgroup_fanout", "release_ns_per_g", coldRel, rel)
	report("waitgroup_fanout", "total_ns_per_g", coldTot, tot)
}
