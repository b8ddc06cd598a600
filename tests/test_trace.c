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
 *  - goroutines parked in goro_chan_send, goro_select and
 *    goro_mutex_lock under park_call <- park_outer: the chain crosses the
 *    runtime's files built without frame pointers (CMakeLists.txt,
 *    goro_fp_transparent_sources) whichever public call parks;
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

/* Parks in the public call of kind k (PARK_*) under park_outer. */
enum { PARK_SEND, PARK_SELECT, PARK_MUTEX, PARK_N };
static const char *const park_names[PARK_N] = { "park-send", "park-select", "park-mutex" };
static goro_chan *park_send_ch, *park_sel_ch;
static goro_mutex park_mu;
static goro_waitgroup park_done;

__attribute__((noinline)) void park_call(int k)
{
    int v = 0;
    if (k == PARK_SEND) {
        goro_chan_send(park_send_ch, &v);
    } else if (k == PARK_SELECT) {
        goro_case c = GORO_CASE_RECV(park_sel_ch, &v);
        goro_select(&c, 1);
    } else {
        goro_mutex_lock(&park_mu);
        goro_mutex_unlock(&park_mu);
    }
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void park_outer(void *arg)
{
    park_call((int)(intptr_t)arg);
    __asm__ volatile("" ::: "memory");
    goro_waitgroup_done(&park_done);
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
 * after `from` and, if `entry`, before the end of its dump entry (a blank
 * line). */
static void expect_frames_in(const char *text, const char *from, const char *const *names,
                             bool entry)
{
    char *copy = strdup(text);
    CHECK(copy);
    char *p = strstr(copy, from);
    char *end = p && entry ? strstr(p, "\n\n") : NULL;
    if (end)
        end[1] = 0;
    for (; p && *names; names++) {
        char pat[64];
        snprintf(pat, sizeof pat, "\t%s+", *names);
        p = strstr(p, pat);
    }
    if (!p) {
        fprintf(stderr, "expected frame %s after \"%s\" in:\n%s\n", *names, from, text);
        exit(1);
    }
    free(copy);
}

static void expect_frames(const char *text, const char *from, const char *const *names)
{
    expect_frames_in(text, from, names, false);
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
    park_send_ch = goro_chan_make(sizeof(int), 0);
    park_sel_ch = goro_chan_make(sizeof(int), 0);
    CHECK(park_send_ch && park_sel_ch);
    goro_mutex_lock(&park_mu);
    goro_waitgroup_add(&park_done, PARK_N);
    for (int k = 0; k < PARK_N; k++) {
        goro_opts po = { .name = park_names[k] };
        CHECK_EQ(goro_go_opts(&po, park_outer, (void *)(intptr_t)k), 0);
    }
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, thread_a, NULL), 0);
    goro_stats_t st;
    do {
        goro_sleep(GORO_MILLISECOND);
        goro_stats(&st);
    } while (st.waiting_on[GORO_WAIT_CHAN_RECV] < 1 || st.threads_blocked < 1 ||
             st.waiting_on[GORO_WAIT_CHAN_SEND] < 1 || st.waiting_on[GORO_WAIT_SELECT] < 1 ||
             st.waiting_on[GORO_WAIT_MUTEX] < 1);

    run_main(self_b, NULL);
    expect_frames(dumped, "name: chained", (const char *[]){ "chain_c", "chain_b", "chain_a",
                  NULL });
    for (int k = 0; k < PARK_N; k++) {
        char from[64];
        snprintf(from, sizeof from, "name: %s", park_names[k]);
        expect_frames_in(dumped, from, (const char *[]){ "park_call", "park_outer", NULL }, true);
    }
    int v = 0;
    CHECK_EQ(goro_chan_recv(park_send_ch, &v), 0);
    CHECK_EQ(goro_chan_send(park_sel_ch, &v), 0);
    goro_mutex_unlock(&park_mu);
    goro_waitgroup_wait(&park_done);
    goro_chan_release(park_send_ch);
    goro_chan_release(park_sel_ch);
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
