/* SPDX-License-Identifier: MIT */
/*
 * test_stack.c: goroutine stacks.
 *  - lazy: a queued goroutine that has not run holds no stack;
 *  - a goroutine given a 1 MiB stack (goro_go_opts) can use most of it;
 *  - stacks are reused: many sequential goroutines do not grow RSS;
 *  - stack sizes above GORO_STACK_MAX are GORO_EINVAL.
 * Overflow reports are test_crash's.
 */
// ctest-labels: sched
#include <stdatomic.h>
#include <unistd.h>
#include "testutil.h"
#define GORO_SCHED_INTERNAL   /* white-box: the scheduler's private header */
#include "sched/runtime.h"

static goro_waitgroup wg;
static _Atomic int ran;

static void noop(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
    goro_waitgroup_done(&wg);
}

/* Fewer than the spawn backlog, so that they stay queued on this P. */
enum { LAZY_N = GORO_SPAWN_BACKLOG - 2 };

static void lazy(void *arg)
{
    (void)arg;
    goro_waitgroup_add(&wg, LAZY_N);
    for (int i = 0; i < LAZY_N; i++)
        CHECK(goro_go(noop, NULL) == 0);
    P *p = goro__getm()->p;
    uint32_t h = atomic_load(&p->runq_head), t = atomic_load(&p->runq_tail);
    int queued = 0;
    for (uint32_t i = h; i != t; i++) {
        G *g = atomic_load(&p->runq[i % GORO_RUNQ_SIZE]);
        if (atomic_load(&g->status) == G_RUNNABLE) {
            CHECK(g->stack_lo == NULL);
            queued++;
        }
    }
    G *g = atomic_load(&p->runnext);
    if (g)
        CHECK(g->stack_lo == NULL);
    if (goro_maxprocs(0) == 1)
        CHECK(queued >= LAZY_N - 10);
}

static void use_big_stack(void *arg)
{
    (void)arg;
    /* ~800 KiB of frames (less where sanitizers pad frames) */
    CHECK(deep_frames(getenv("GORO_TEST_SLOW") ? 400 : 800, NULL) >= 0);
    goro_waitgroup_done(&wg);
}

/* Sizes above GORO_STACK_MAX, some of whose rounding to pages overflows,
 * are refused; the cap itself works. */
static void stack_limits(void)
{
    const size_t bad[] = { SIZE_MAX, SIZE_MAX - 100, GORO_STACK_MAX + 1 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        goro_opts o = { .name = "too big", .stack_size = bad[i] };
        CHECK_EQ(goro_go_opts(&o, noop, NULL), GORO_EINVAL);
    }
    goro_opts o = { .name = "biggest", .stack_size = GORO_STACK_MAX };
    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go_opts(&o, noop, NULL) == 0);
    goro_waitgroup_wait(&wg);
}

static long rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f && fscanf(f, "%ld %ld", &pages, &rss) == 2);
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(void)
{
    run_main(lazy, NULL);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&ran), LAZY_N);

    goro_opts o = { .name = "big", .stack_size = 1 << 20 };
    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go_opts(&o, use_big_stack, NULL) == 0);
    goro_waitgroup_wait(&wg);

    /* Sequential goroutines reuse pooled stacks. */
    long before = 0;
    for (int round = 0; round < 20; round++) {
        if (round == 5)
            before = rss_kb();
        for (int i = 0; i < 200; i++) {
            goro_waitgroup_add(&wg, 1);
            CHECK(goro_go(noop, NULL) == 0);
        }
        goro_waitgroup_wait(&wg);
    }
    if (!getenv("GORO_TEST_SLOW"))   /* sanitizers keep shadow memory per use */
        CHECK(rss_kb() - before < 4096);

    stack_limits();
    TEST_PASS("test_stack");
}
