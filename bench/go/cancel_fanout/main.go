// cancel_fanout: Go twin of bench/cancel_fanout.c. N = 10,000 goroutines
// each blocked in <-ctx.Done() of one context.WithCancel context; main
// calls cancel() and times how long it takes until all N have exited
// (each calls wg.Done() after its receive returns). Before timing, main
// waits until every goroutine has started and then 10 ms more, so that all
// are parked. Figures: cancel_us and ns_per_goroutine, medians of 3 passes
// after a warm-up pass (runtime.GC() before each pass); setup_us and
// call_us (the cancel() call alone) as comments.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: cancel_fanout [N]
package main

import (
	"context"
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

// onePass returns cancel -> all exited, the setup time and the cancel
// call, in ns.
func onePass(n int) (float64, float64, float64) {
	runtime.GC()
	ctx, cancel := context.WithCancel(context.Background())
	var started, exited sync.WaitGroup
	t0 := time.Now()
	started.Add(n)
	exited.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			<-ctx.Done()
			exited.Done()
		}()
	}
	started.Wait()
	setup := float64(time.Since(t0).Nanoseconds())
	time.Sleep(10 * time.Millisecond) // the last ones park

	t1 := time.Now()
	cancel()
	call := float64(time.Since(t1).Nanoseconds())
	exited.Wait()
	return float64(time.Since(t1).Nanoseconds()), setup, call
}

func main() {
	n := arg(10000)
	fmt.Printf("# cancel_fanout go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d\n", n)
	ns, coldSetup, coldCall := onePass(n)
	coldUs, coldPer := ns/1e3, ns/float64(n)
	us := make([]float64, passes)
	per := make([]float64, passes)
	setup := make([]float64, passes)
	call := make([]float64, passes)
	for p := range us {
		ns, setup[p], call[p] = onePass(n)
		us[p], per[p] = ns/1e3, ns/float64(n)
	}
	fmt.Printf("# setup_us (spawn until all started): cold %.0f, passes", coldSetup/1e3)
	for _, s := range setup {
		fmt.Printf(" %.0f", s/1e3)
	}
	fmt.Printf("\n# call_us (the cancel() call alone): cold %.0f, passes", coldCall/1e3)
	for _, c := range call {
		fmt.Printf(" %.0f", c/1e3)
	}
	fmt.Println()
	report("cancel_fanout", "cancel_us", coldUs, us)
	report("cancel_fanout", "ns_per_goroutine", coldPer, per)
}
