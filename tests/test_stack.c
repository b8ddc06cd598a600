/*
 * test_stack.c: goroutine stacks.
 *  - lazy: a queued goroutine that has not run holds no stack;
 *  - a goroutine given a 1 MiB stack (goro_go_opts) can use most of it;
 *  - overflowing a stack is reported as "goroutine N stack overflow" with
 *    the creation site, from a child process (the test re-runs itself), both
 *    with MADV_GUARD_INSTALL guards and with the mprotect fallback;
 *  - stacks are reused: many sequential goroutines do not grow RSS.
 */
// ctest-labels: sched
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "internal.h"

static goro_waitgroup wg;
static _Atomic int ran;

static void noop(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
    goro_waitgroup_done(&wg);
}

static void lazy(void *arg)
{
    (void)arg;
    /* Fewer than half a ring, so they stay queued on this P. */
    goro_waitgroup_add(&wg, 50);
    for (int i = 0; i < 50; i++)
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
        CHECK(queued >= 40);
}

static long deep(int n, volatile char *prev)
{
    volatile char buf[1024];
    buf[0] = (char)n;
    buf[1023] = prev ? prev[0] : 0;
    if (n == 0)
        return buf[0] + buf[1023];
    return deep(n - 1, buf) + buf[0];
}

static void use_big_stack(void *arg)
{
    (void)arg;
    /* ~800 KiB of frames (less where sanitizers pad frames) */
    CHECK(deep(getenv("GORO_TEST_SLOW") ? 400 : 800, NULL) >= 0);
    goro_waitgroup_done(&wg);
}

static void overflow(void *arg)
{
    (void)arg;
    deep(1 << 20, NULL);
}

enum { OVERFLOW_LINE = __LINE__ + 5 };   /* the goro_go_opts call below */

static int child_overflow(void)
{
    goro_opts o = { .name = "overflower", .stack_size = 32 * 1024 };
    goro_go_opts(&o, overflow, NULL);
    goro_sleep(10 * GORO_SECOND);
    return 3;   /* not reached when the report works */
}

static void check_overflow_report(const char *self, const char *guard)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "GORO_STACK_GUARD=%s %s overflow 2>&1", guard, self);
    FILE *f = popen(cmd, "r");
    CHECK(f);
    char out[4096] = {0};
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    int st = pclose(f);
    CHECK(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 3));
    if (!strstr(out, "stack overflow")) {
        fprintf(stderr, "child output (%s): %s\n", guard, out);
        CHECK(0);
    }
    char site[64];
    snprintf(site, sizeof site, "test_stack.c:%d", OVERFLOW_LINE);
    CHECK(strstr(out, "goroutine ") && strstr(out, site));
}

static long rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f && fscanf(f, "%ld %ld", &pages, &rss) == 2);
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "overflow") == 0)
        return child_overflow();

    run_main(lazy, NULL);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&ran), 50);

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

    if (!getenv("GORO_TEST_SLOW")) {   /* sanitizers own SIGSEGV themselves */
        check_overflow_report(argv[0], "madvise");
        check_overflow_report(argv[0], "mprotect");
    }
    TEST_PASS("test_stack");
}
