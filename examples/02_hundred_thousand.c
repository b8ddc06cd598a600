/* SPDX-License-Identifier: MIT */
/*
 * 02_hundred_thousand.c: mirrors the Go tour's "Start 100,000
 * goroutines with no problem" program (section "Goroutines"): a loop does
 * wg.Add(1) and starts go func(n int) { defer wg.Done(); _ = n * n }(i) for
 * i in 0..99,999, then wg.Wait() and prints "all done".
 *
 * In C the argument n is passed by value with goro_go_copy, and the
 * goroutine calls goro_waitgroup_done where Go defers wg.Done().
 */
#include <goro.h>
#include <stdio.h>
#include <stdlib.h>

static goro_waitgroup wg;

static void work(void *arg)
{
    int n = *(int *)arg;   /* this goroutine's own copy of i */
    long long sq = (long long)n * n;
    (void)sq;              /* _ = n * n */
    goro_waitgroup_done(&wg);
}

int main(void)
{
    for (int i = 0; i < 100000; i++) {
        goro_waitgroup_add(&wg, 1);
        if (goro_go_copy(work, &i, sizeof i) != 0) {
            fprintf(stderr, "goro_go_copy failed at %d\n", i);
            return 1;
        }
    }
    goro_waitgroup_wait(&wg);
    printf("all done\n");
    return 0;
}
