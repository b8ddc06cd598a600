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
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
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
	n := arg(100)
	fmt.Printf("# lock_hog go maxprocs=%d ncpu=%d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("# n=%d timed locks per pass against the hog\n", n)
	cold := onePass(n)
	v := make([]float64, passes)
	for p := range v {
		v[p] = onePass(n)
	}
	report("lock_hog", "max_wait_ms", cold, v)
}
