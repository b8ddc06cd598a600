/* SPDX-License-Identifier: MIT */
/* hello.c: the program tests/consumer/run.sh builds against goro every way
 * a user can (pkg-config, find_package, add_subdirectory, the Debian
 * packages): eight goroutines add into one counter under a WaitGroup. */
#include <goro.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int sum;

static void work(void *arg)
{
    atomic_fetch_add(&sum, *(int *)arg);
}

int main(void)
{
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    int vals[8];
    for (int i = 0; i < 8; i++) {
        vals[i] = i + 1;
        if (goro_waitgroup_go(&wg, work, &vals[i]) != 0) {
            fprintf(stderr, "hello: goro_waitgroup_go failed\n");
            return 1;
        }
    }
    goro_waitgroup_wait(&wg);
    if (atomic_load(&sum) != 36) {
        fprintf(stderr, "hello: sum %d, want 36\n", atomic_load(&sum));
        return 1;
    }
    printf("hello: ok, 8 goroutines on %d Ps\n", goro_maxprocs(0));
    return 0;
}
