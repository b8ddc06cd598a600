// SPDX-License-Identifier: MIT
// hooktest.h: what libgoro-hook's tests share: CHECK, errno through a
// non-inlined read, the process's thread count, a CPU-bound goroutine that
// counts its progress, and a watcher goroutine that samples the thread
// count while the test's goroutines block in library calls.
#ifndef GORO_HOOKTEST_H
#define GORO_HOOKTEST_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "goro.h"

#define CHECK(c)                                                                \
    do {                                                                        \
        if (!(c)) {                                                             \
            fprintf(stderr, "%s:%d: %s (errno %d)\n", __FILE__, __LINE__, #c, errno); \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* errno of the current thread: a goroutine may resume on another thread,
 * and the compiler may keep errno's address across calls (hacking.md). */
static __attribute__((noinline, unused)) int ht_errno(void)
{
    __asm__ volatile("" ::: "memory");
    return errno;
}

/* Threads of this process now (entries of /proc/self/task). */
static __attribute__((unused)) int ht_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Threads a goroutine program may have besides its GOMAXPROCS Ms running
 * goroutines: the main thread (blocked in main's wait), sysmon, and Ms the
 * scheduler started and keeps idle (a spinning M, one blocked in the
 * netpoller, one that ran a hand-off such as getaddrinfo or a file read,
 * one whose P sysmon took): seen up to GOMAXPROCS + 5 on a loaded 2-core
 * machine; 8 leaves room. A call that blocked its thread would need one
 * thread per blocked goroutine: hundreds here. */
#define HT_THREAD_ALLOWANCE 8

/* The watcher and the CPU-bound goroutine: started by ht_start, stopped
 * by ht_stop, which checks that the spinner made progress in every
 * sampling period and returns the highest thread count seen. */
typedef struct {
    _Atomic int stop, stopped;
    _Atomic long spins;
    _Atomic int max_threads, stalls, samples;
} ht_watch;

static void ht_spinner(void *arg)
{
    ht_watch *w = arg;
    while (!atomic_load(&w->stop)) {
        for (volatile int i = 0; i < 10000; i++) {
        }
        atomic_fetch_add(&w->spins, 1);
        goro_yield();
    }
    atomic_fetch_add(&w->stopped, 1);
}

static void ht_watcher(void *arg)
{
    ht_watch *w = arg;
    while (!atomic_load(&w->stop)) {
        long s0 = atomic_load(&w->spins);
        goro_sleep(5 * GORO_MILLISECOND);
        int t = ht_threads();
        if (t > atomic_load(&w->max_threads))
            atomic_store(&w->max_threads, t);
        if (atomic_load(&w->spins) == s0 && !atomic_load(&w->stop))
            atomic_fetch_add(&w->stalls, 1);
        atomic_fetch_add(&w->samples, 1);
    }
    atomic_fetch_add(&w->stopped, 1);
}

static __attribute__((unused)) void ht_start(ht_watch *w)
{
    CHECK(goro_go(ht_spinner, w) == 0);
    CHECK(goro_go(ht_watcher, w) == 0);
}

/* Stops both, prints the figures under NAME, checks the thread bound and
 * that the spinner made progress in most periods (on a loaded machine the
 * process may not run at all for 5 ms: at most half the periods plus one
 * may pass without progress; a spinner stuck behind a blocked thread
 * makes none in any). */
static __attribute__((unused)) void ht_stop(ht_watch *w, const char *name)
{
    atomic_store(&w->stop, 1);
    while (atomic_load(&w->stopped) < 2)
        goro_sleep(GORO_MILLISECOND);
    int procs = goro_maxprocs(0);
    printf("%s: GOMAXPROCS %d: at most %d threads (bound %d), %ld spins, %d of %d samples without progress\n",
           name, procs, w->max_threads, procs + HT_THREAD_ALLOWANCE, (long)w->spins, w->stalls,
           w->samples);
    fflush(stdout);
    CHECK(w->max_threads <= procs + HT_THREAD_ALLOWANCE);
    CHECK(w->spins > 0);
    CHECK(w->stalls * 2 <= w->samples + 2);
}

#endif
