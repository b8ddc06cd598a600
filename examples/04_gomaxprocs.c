/* SPDX-License-Identifier: MIT */
/*
 * 04_gomaxprocs.c: mirrors the Go tour's program in "The Go scheduler
 * (GMP model)": it prints runtime.GOMAXPROCS(0) (the number of Ps, by
 * default the CPU count), limits the runtime to one P with
 * runtime.GOMAXPROCS(1), and prints runtime.NumGoroutine().
 *
 * goro_num_goroutine() counts goroutines but not main, so where Go prints
 * "Goroutines: 1" (main alone) goro prints 0. As an addition to the Go
 * original, three goroutines are then started and held on a WaitGroup so the
 * count can be seen to move. GOROMAXPROCS in the environment overrides the
 * default, as GOMAXPROCS does for Go.
 */
#include <goro.h>
#include <stdio.h>

static goro_waitgroup hold;   /* the three goroutines wait on it */
static goro_waitgroup done;

static void parked(void *arg)
{
    (void)arg;
    goro_waitgroup_wait(&hold);
    goro_waitgroup_done(&done);
}

int main(void)
{
    /* Check how many CPUs goro will use */
    printf("GOMAXPROCS: %d (CPUs: %d)\n", goro_maxprocs(0), goro_num_cpu());

    /* Limit to 1 P (useful for testing race conditions) */
    int old = goro_maxprocs(1);
    printf("GOMAXPROCS set to 1 (was %d), now %d\n", old, goro_maxprocs(0));

    /* Print current goroutine count (main is not counted) */
    printf("Goroutines: %d\n", goro_num_goroutine());

    goro_waitgroup_add(&hold, 1);
    for (int i = 0; i < 3; i++) {
        goro_waitgroup_add(&done, 1);
        goro_go(parked, NULL);
    }
    printf("Goroutines after starting 3: %d\n", goro_num_goroutine());
    goro_waitgroup_done(&hold);
    goro_waitgroup_wait(&done);
    return 0;
}
