// ring: Go twin of bench/ring.c. P = 10,000 participants in a ring of
// unbuffered channels: main and 9,999 forwarders; forwarder i receives on
// ch[i-1] and sends what it got on ch[i]. main sends a token on ch[0] and
// receives it back from ch[P-1], 100 times (laps): P x 100 = 1,000,000
// hops per pass. Each pass builds its own ring (the setup, timed
// separately and shown as a comment), times the laps, then closes ch[0];
// each forwarder closes its output when its input is closed.
// Figure: ns per hop, median of 3 passes after a warm-up pass
// (runtime.GC() before each pass).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: ring [P [LAPS]]
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

func onePass(nPart, nLaps int, setupUs *float64) float64 {
	runtime.GC()
	var forwarders sync.WaitGroup
	t0 := time.Now()
	ch := make([]chan int, nPart)
	for i := range ch {
		ch[i] = make(chan int)
	}
	for i := 1; i < nPart; i++ {
		forwarders.Add(1)
		go func(in <-chan int, out chan<- int) {
			for token := range in {
				out <- token
			}
			close(out)
			forwarders.Done()
		}(ch[i-1], ch[i])
	}
	t1 := time.Now()
	*setupUs = float64(t1.Sub(t0).Nanoseconds()) / 1e3

	token := 0
	for lap := 0; lap < nLaps; lap++ {
		ch[0] <- token
		token = <-ch[nPart-1]
		token++
	}
	ns := float64(time.Since(t1).Nanoseconds()) / float64(nPart*nLaps)

	close(ch[0])
	if _, ok := <-ch[nPart-1]; ok {
		panic("ring shutdown")
	}
	forwarders.Wait()
	if token != nLaps {
		panic("ring token")
	}
	return ns
}

func main() {
	nPart := arg(10000)
	nLaps := 100
	if len(os.Args) > 2 {
		if v, err := strconv.Atoi(os.Args[2]); err == nil && v > 0 {
			nLaps = v
		}
	}
	if nPart < 2 {
		nPart = 2
	}
	fmt.Printf("# ring go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# participants=%d laps=%d hops=%d\n", nPart, nLaps, nPart*nLaps)
	setup := make([]float64, passes+1)
	k := 0
	cold, v := measure(func() float64 {
		ns := onePass(nPart, nLaps, &setup[k])
		k++
		return ns
	})
	fmt.Printf("# ring setup_us cold=%.6g passes:", setup[0])
	for _, s := range setup[1:] {
		fmt.Printf(" %.6g", s)
	}
	fmt.Println()
	report("ring", "ns_per_op", cold, v)
}
