// SPDX-License-Identifier: MIT

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
	"runtime"
	"sync"
	"time"

	"gorobench/harness"
)

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
	nPart := harness.Arg(10000)
	nLaps := harness.ArgAt(2, 100)
	if nPart < 2 {
		nPart = 2
	}
	harness.Header("ring")
	fmt.Printf("# participants=%d laps=%d hops=%d\n", nPart, nLaps, nPart*nLaps)
	setup := make([]float64, harness.Passes+1)
	k := 0
	cold, v := harness.Measure(func() float64 {
		ns := onePass(nPart, nLaps, &setup[k])
		k++
		return ns
	})
	fmt.Printf("# ring setup_us cold=%.6g passes:", setup[0])
	for _, s := range setup[1:] {
		fmt.Printf(" %.6g", s)
	}
	fmt.Println()
	harness.Report("ring", "ns_per_op", cold, v)
}
