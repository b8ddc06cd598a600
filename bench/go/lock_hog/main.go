// SPDX-License-Identifier: MIT

// lock_hog: Go twin of bench/lock_hog.c. A hog goroutine holds one
// sync.Mutex almost all the time: Lock, compute 20 us, runtime.Gosched(),
// compute 20 us, Unlock, Lock again at once. The main goroutine takes the
// same mutex N = 100 times, 1 ms apart, and records how long each Lock
// took. Figure: the worst wait of a pass in ms (max_wait_ms), median of 3
// passes after a warm-up pass (runtime.GC() before each pass); the mean
// wait is printed as a comment.
// Output format: see bench/bench.h ("<workload> <metric> <value>").
// Usage: lock_hog [N]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"gorobench/harness"
)

var mu sync.Mutex

func busy(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
	}
}

func onePass(n int) float64 {
	runtime.GC()
	var stop int32
	var hogDone sync.WaitGroup
	hogDone.Add(1)
	go func() {
		for atomic.LoadInt32(&stop) == 0 {
			mu.Lock()
			busy(20 * time.Microsecond)
			runtime.Gosched()
			busy(20 * time.Microsecond)
			mu.Unlock()
		}
		hogDone.Done()
	}()
	time.Sleep(time.Millisecond)
	var worst, sum time.Duration
	for i := 0; i < n; i++ {
		time.Sleep(time.Millisecond)
		t0 := time.Now()
		mu.Lock()
		w := time.Since(t0)
		mu.Unlock()
		if w > worst {
			worst = w
		}
		sum += w
	}
	atomic.StoreInt32(&stop, 1)
	hogDone.Wait()
	fmt.Printf("# pass: max %.3f ms, mean %.3f ms\n", float64(worst)/1e6, float64(sum)/1e6/float64(n))
	return float64(worst) / 1e6
}

func main() {
	n := harness.Arg(100)
	harness.Header("lock_hog")
	fmt.Printf("# n=%d timed locks per pass against the hog\n", n)
	harness.Run("lock_hog", "max_wait_ms", func() float64 { return onePass(n) })
}
