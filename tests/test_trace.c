/* SPDX-License-Identifier: MIT */
// ctest-labels: arch
/*
 * test_trace: frames in dumps, leak reports and fatal reports, for known
 * call chains (linked with -rdynamic, so that dladdr names the functions;
 * built with frame pointers). In order, innermost first (the goro call
 * itself may be missing: a public call that tail-calls has no frame):
 *  - a goroutine parked in goro_chan_recv under chain_c <- chain_b <-
 *    chain_a (walked from its saved context: the assembly switch, or the
 *    ucontext one in that build);
 *  - the goroutine that calls goro_dump itself: goro_dump, self_c, self_b;
 *  - a plain thread blocked in goro_chan_recv under thread_b <- thread_a;
 *  - the leak report of the parked goroutine;
 *  - a misuse's fatal report (an unlock of an unlocked mutex) in a child:
 *    misuse_b, misuse_a (the public call's abort path is a cold part of
 *    it, without a name).
 * Runs at GOMAXPROCS 1 and 2, and under qemu for AArch64 (label arch;
 * there the misuse child cannot be started and is skipped).
 */
#include <pthread.h>
#include <stdio.h>
#include "misuse.h"

static goro_chan *ch;
static goro_waitgroup parked;

__attribute__((noinline)) void chain_c(void)
{
    int v;
    goro_chan_recv(ch, &v);
    __asm__ volatile("" ::: "memory");   /* not a tail call */
}

__attribute__((noinline)) void chain_b(void)
{
    chain_c();
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void chain_a(void *arg)
{
    (void)arg;
    chain_b();
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void thread_b(void)
{
    int v;
    goro_chan_recv(ch, &v);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void *thread_a(void *arg)
{
    (void)arg;
    thread_b();
    __asm__ volatile("" ::: "memory");
    return NULL;
}

static char dumped[65536];

__attribute__((noinline)) void self_c(void)
{
    FILE *f = fmemopen(dumped, sizeof dumped - 1, "w");
    CHECK(f);
    goro_dump(f);
    fclose(f);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void self_b(void *arg)
{
    (void)arg;
    self_c();
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void misuse_b(void)
{
    goro_mutex mu = {0};
    goro_mutex_unlock(&mu);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void misuse_a(void *arg)
{
    (void)arg;
    misuse_b();
    __asm__ volatile("" ::: "memory");
}

/* The names appear in this order in text, each on a frame line ("\tname+"),
 * after `from`. */
static void expect_frames(const char *text, const char *from, const char *const *names)
{
    const char *p = strstr(text, from);
    for (; p && *names; names++) {
        char pat[64];
        snprintf(pat, sizeof pat, "\t%s+", *names);
        p = strstr(p, pat);
    }
    if (!p) {
        fprintf(stderr, "expected frame %s after \"%s\" in:\n%s\n", *names, from, text);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "misuse")) {
        run_main(misuse_a, NULL);
        return 0;
    }
    ch = goro_chan_make(sizeof(int), 0);
    goro_leak_snapshot *snap = goro_leakcheck_begin();
    goro_opts o = { .name = "chained" };
    goro_waitgroup_add(&parked, 1);
    CHECK_EQ(goro_go_opts(&o, chain_a, NULL), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, thread_a, NULL), 0);
    goro_stats_t st;
    do {
        goro_sleep(GORO_MILLISECOND);
        goro_stats(&st);
    } while (st.waiting_on[GORO_WAIT_CHAN_RECV] < 1 || st.threads_blocked < 1);

    run_main(self_b, NULL);
    expect_frames(dumped, "name: chained", (const char *[]){ "chain_c", "chain_b", "chain_a",
                  NULL });
    expect_frames(dumped, "[running]", (const char *[]){ "self_c", "self_b", NULL });
    expect_frames(dumped, "thread ", (const char *[]){ "thread_b", "thread_a", NULL });

    char leak[16384];
    FILE *f = fmemopen(leak, sizeof leak - 1, "w");
    CHECK_EQ(goro_leakcheck_verify(snap, 200 * GORO_MILLISECOND, f), 1);   /* self_b may still be exiting */
    fclose(f);
    expect_frames(leak, "leaked", (const char *[]){ "chain_c", "chain_b", "chain_a", NULL });

    char out[16384];
    int status = misuse_run("misuse", out, sizeof out);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !out[0]) {
        /* qemu-user without binfmt_misc cannot exec the program again */
        printf("misuse report: skipped, cannot run a child\n");
    } else if (!WIFSIGNALED(status)) {
        fprintf(stderr, "misuse child: status %#x, output:\n%s\n", status, out);
        return 1;
    } else {
        expect_frames(out, "fatal error: sync: unlock of unlocked mutex",
                      (const char *[]){ "misuse_b", "misuse_a", NULL });
    }

    goro_chan_close(ch);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(goro_leakcheck_end(snap, GORO_SECOND, stderr), 0);
    goro_chan_release(ch);
    TEST_PASS("test_trace");
}
