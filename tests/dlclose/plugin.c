/* SPDX-License-Identifier: MIT */
/*
 * plugin.c: the plug-in test_dlclose loads. It links libgoro.so; plugin_run
 * runs n goroutines of its own code, waits for them, and leaves a ticker
 * running (timers fire in libgoro's code, none of the plug-in's), so goro's
 * threads are busy when the plug-in is closed.
 */
#include <stdatomic.h>
#include <stdint.h>
#include "goro.h"

static _Atomic long sum;

static void add(void *arg)
{
    goro_sleep(GORO_MILLISECOND);
    atomic_fetch_add(&sum, (long)(intptr_t)arg);
}

__attribute__((visibility("default"))) long plugin_run(int n)
{
    goro_waitgroup wg = {0};
    atomic_store(&sum, 0);
    for (int i = 1; i <= n; i++)
        if (goro_waitgroup_go(&wg, add, (void *)(intptr_t)i) != 0)
            return -1;
    goro_waitgroup_wait(&wg);
    if (!goro_ticker_new(10 * GORO_MILLISECOND))
        return -1;
    return atomic_load(&sum);
}
