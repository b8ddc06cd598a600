// pingpong: Go twin of bench/pingpong.c. Two goroutines, two unbuffered
// channels: main sends i on ping and waits for it back on pong, N =
// 1,000,000 times; the other goroutine receives on ping and sends what it
// got on pong. Figure: ns per round trip, median of 3 passes after a
// warm-up pass (runtime.GC() before each pass, as in the baselines). Each
// pass makes its own channels and partner goroutine (not timed).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: pingpong [N]
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
	ping, pong := make(chan int), make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		for v := range ping {
			pong <- v
		}
		wg.Done()
	}()

	sum := 0
	t0 := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		sum += <-pong
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(n)

	close(ping)
	wg.Wait()
	if sum != n*(n-1)/2 {
		panic("pingpong checksum")
	}
	return ns
}

func main() {
	n := arg(1000000)
	fmt.Printf("# pingpong go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d round trips\n", n)
	cold, v := measure(func() float64 { return onePass(n) })
	report("pingpong", "ns_per_op", cold, v)
}
