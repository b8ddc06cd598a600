/* SPDX-License-Identifier: MIT */
/*
 * lock_hog: a hog goroutine holds one goro_mutex almost all the time: it
 * locks, computes for 20 us, yields (so one P is enough for others to
 * run), computes 20 us more, unlocks, and locks again at once. A second
 * goroutine takes the same mutex N = 100 times, 1 ms apart, and records
 * how long each lock took. Without starvation mode the hog would win
 * nearly every time the mutex is free; with it, a waiter kept out for more
 * than 1 ms is handed the mutex. Figure: the worst wait of a pass in ms
 * (max_wait_ms), median of 3 passes after a warm-up pass; the mean wait is
 * printed as a comment. Twin: bench/go/lock_hog/main.go.
 * Usage: bench_lock_hog [N]
 */
#include "bench.h"

#include <stdatomic.h>

static long n_locks = 100;
static goro_mutex mu;
static _Atomic int stop;
static goro_waitgroup hog_done;

static void busy(int64_t ns)
{
    int64_t end = goro_now() + ns;
    while (goro_now() < end)
        ;
}

static void hog(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        goro_mutex_lock(&mu);
        busy(20 * GORO_MICROSECOND);
        goro_yield();
        busy(20 * GORO_MICROSECOND);
        goro_mutex_unlock(&mu);
    }
    goro_waitgroup_done(&hog_done);
}

static double one_pass(void)
{
    atomic_store(&stop, 0);
    goro_waitgroup_add(&hog_done, 1);
    bench_go(hog, NULL);
    goro_sleep(GORO_MILLISECOND);
    int64_t worst = 0, sum = 0;
    for (long i = 0; i < n_locks; i++) {
        goro_sleep(GORO_MILLISECOND);
        int64_t t0 = goro_now();
        goro_mutex_lock(&mu);
        int64_t w = goro_now() - t0;
        goro_mutex_unlock(&mu);
        if (w > worst)
            worst = w;
        sum += w;
    }
    atomic_store(&stop, 1);
    goro_waitgroup_wait(&hog_done);
    printf("# pass: max %.3f ms, mean %.3f ms\n", worst / 1e6, sum / 1e6 / n_locks);
    return worst / 1e6;
}

int main(int argc, char **argv)
{
    n_locks = bench_arg(argc, argv, n_locks);
    bench_header("lock_hog");
    printf("# n=%ld timed locks per pass against the hog\n", n_locks);
    bench_passes("lock_hog", "max_wait_ms", one_pass);
    return 0;
}
