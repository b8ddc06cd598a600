/* SPDX-License-Identifier: MIT */
/*
 * 03_loop_capture.c: mirrors the Go tour's "Anonymous goroutines and
 * closure capture" program. Its first loop starts five closures that print
 * the loop variable i, captured by reference, so they may all print 5; its
 * second loop passes i as a parameter, go func(n int) { ... }(i), so each
 * goroutine prints its own copy.
 *
 * The C version of the mistake is passing &i to goro_go: every goroutine
 * reads the same variable, usually after the loop has moved it on. Here the
 * goroutines are held at a gate until the loop has finished, so the mistake
 * shows the same way every run (all see 5). The fix is goro_go_copy, which
 * copies i into the goroutine when it is started. The Go original leaves
 * waiting for a later section; here a WaitGroup waits. Goroutines finish in
 * any order, so each one records what it saw and main prints the values sorted.
 */
#include <goro.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define N 5

static goro_waitgroup gate;      /* closed (counter 0) once the loop is over */
static goro_waitgroup wg;        /* the goroutines of one loop */
static int seen[N];
static atomic_int nseen;

static void record(int v)
{
    seen[atomic_fetch_add(&nseen, 1)] = v;
    goro_waitgroup_done(&wg);
}

static void by_reference(void *arg)
{
    goro_waitgroup_wait(&gate);  /* run after the loop, as goroutines often do */
    record(*(int *)arg);         /* reads the shared loop variable */
}

static void by_copy(void *arg)
{
    record(*(int *)arg);         /* reads this goroutine's own copy */
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void print_seen(const char *label)
{
    goro_waitgroup_wait(&wg);
    qsort(seen, N, sizeof seen[0], cmp_int);
    printf("%s:", label);
    for (int k = 0; k < N; k++)
        printf(" %d", seen[k]);
    printf("\n");
    atomic_store(&nseen, 0);
}

int main(void)
{
    /* Common mistake: every goroutine gets a pointer to the same i. (i is
     * declared outside the loop so that it outlives it; with `for (int i`
     * the goroutines would read a dead variable.) */
    int i;
    goro_waitgroup_add(&gate, 1);
    for (i = 0; i < N; i++) {
        goro_waitgroup_add(&wg, 1);
        goro_go(by_reference, &i);
    }
    goro_waitgroup_done(&gate);
    print_seen("captured by reference (the mistake)");

    /* Fix: copy i into each goroutine when it starts. */
    for (int j = 0; j < N; j++) {
        goro_waitgroup_add(&wg, 1);
        goro_go_copy(by_copy, &j, sizeof j);
    }
    print_seen("passed by copy (the fix), sorted");
    return 0;
}
