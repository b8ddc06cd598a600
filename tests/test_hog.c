/*
 * test_hog.c: CPU hogs (goroutines that compute without calling into
 * goro) do not starve the others, even at GOMAXPROCS 1 (Go's
 * TestPingPongHog / TestPreemption spirit; goro moves the hog's P to
 * another thread instead of preempting it, see src/sysmon.c).
 *  - a ping-pong pair keeps going while a goroutine busy-loops 400 ms;
 *  - so do timers: a sleeper started during the hog wakes on time;
 *  - two hogs at once, plus the pair;
 *  - a hog that then calls into goro (channel send, yield, exit) after it
 *    lost its P carries on correctly;
 *  - with GOROMAXTHREADS set low (in a child process), hogs keep their Ps
 *    past the cap, and the thread count stays under it.
 */
// ctest-labels: hog
#include <dirent.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"

GORO_CHAN_DEFINE(intch, int)

static _Atomic int stop;
static _Atomic long rounds;
static _Atomic unsigned long sink;   /* shared by the hogs: atomic, or TSan rightly reports it */

struct pair {
    intch ping, pong;
};

static void ponger(void *arg)
{
    struct pair *p = arg;
    int v;
    while (intch_recv(p->ping.rx, &v) == 0)
        intch_send(p->pong.tx, v + 1);
}

static void pinger(void *arg)
{
    struct pair *p = arg;
    int v = 0;
    while (!atomic_load(&stop)) {
        intch_send(p->ping.tx, v);
        intch_recv(p->pong.rx, &v);
        atomic_fetch_add(&rounds, 1);
    }
    intch_close(p->ping.tx);
}

/* Busy-loops for ms milliseconds without a single goro call. */
static void spin_ms(long ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long x = 0;
    for (;;) {
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005ul + 1442695040888963407ul;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
            break;
    }
    atomic_fetch_add_explicit(&sink, x, memory_order_relaxed);
}

static _Atomic int hogs_running;

struct hog_arg {
    long ms;
    goro_chan *done;   /* the hog sends on it after spinning (may be NULL) */
};

static void hog(void *arg)
{
    struct hog_arg *h = arg;
    atomic_fetch_add(&hogs_running, 1);
    spin_ms(h->ms);
    atomic_fetch_sub(&hogs_running, 1);
    /* Back in goro after losing the P: these must all work. */
    if (h->done) {
        int one = 1;
        goro_chan_send(h->done, &one);
    }
    goro_yield();
    goro_sleep(GORO_MILLISECOND);
}

static void sleeper(void *arg)
{
    int64_t *late = arg;
    int64_t t0 = goro_now();
    goro_sleep(20 * GORO_MILLISECOND);
    *late = goro_now() - t0 - 20 * GORO_MILLISECOND;
}

static void hogs_and_pair(int nhogs)
{
    struct pair p = { intch_make(0), intch_make(0) };
    goro_waitgroup wg = {0};
    atomic_store(&stop, 0);
    atomic_store(&rounds, 0);
    goro_waitgroup_go(&wg, ponger, &p);
    goro_waitgroup_go(&wg, pinger, &p);
    goro_sleep(5 * GORO_MILLISECOND);

    goro_chan *done = goro_chan_make(sizeof(int), (size_t)nhogs);
    struct hog_arg ha = { 400, done };
    goro_waitgroup hw = {0};
    for (int i = 0; i < nhogs; i++)
        CHECK(goro_waitgroup_go(&hw, hog, &ha) == 0);
    /* Wait (politely) until the hogs spin. */
    int64_t give_up = goro_now() + 150 * GORO_MILLISECOND;
    while (atomic_load(&hogs_running) < nhogs && goro_now() < give_up)
        goro_sleep(GORO_MILLISECOND);
    CHECK_EQ(atomic_load(&hogs_running), nhogs);
    long r0 = atomic_load(&rounds);
    int64_t late = -1;
    goro_waitgroup sw = {0};
    goro_waitgroup_go(&sw, sleeper, &late);
    goro_sleep(100 * GORO_MILLISECOND);
    long r1 = atomic_load(&rounds);
    int still = atomic_load(&hogs_running);
    goro_waitgroup_wait(&sw);
    printf("%d hog(s): %ld round trips in 100 ms of hogging (%d still spinning), "
           "sleeper %.1f ms late\n", nhogs, r1 - r0, still, late / 1e6);
    CHECK(still > 0);               /* the hogs really were spinning */
    CHECK(r1 - r0 > 50);
    CHECK(late < 100 * GORO_MILLISECOND);
    for (int i = 0; i < nhogs; i++) {
        int v;
        CHECK_EQ(goro_chan_recv(done, &v), 0);
    }
    goro_waitgroup_wait(&hw);
    atomic_store(&stop, 1);
    goro_waitgroup_wait(&wg);
    goro_chan_release(done);
    intch_release(p.ping);
    intch_release(p.pong);
}

static void one_hog(void *arg)
{
    (void)arg;
    hogs_and_pair(1);
}

static void two_hogs(void *arg)
{
    (void)arg;
    hogs_and_pair(2);
}

/* Hogs that start and stop over and over while others schedule: every
 * goroutine finishes, nothing is lost. */
static _Atomic long work_done;

static void short_hog(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        spin_ms(15);
        goro_yield();
        atomic_fetch_add(&work_done, 1);
    }
}

static void churner(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        goro_yield();
        if (i % 100 == 0)
            goro_sleep(100 * GORO_MICROSECOND);
    }
    atomic_fetch_add(&work_done, 100);
}

static void churn(void *arg)
{
    (void)arg;
    goro_waitgroup wg = {0};
    for (int i = 0; i < 4; i++)
        CHECK(goro_waitgroup_go(&wg, short_hog, NULL) == 0);
    for (int i = 0; i < 8; i++)
        CHECK(goro_waitgroup_go(&wg, churner, NULL) == 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&work_done), 4 * 5 + 8 * 100);
}

static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void capped(void *arg)
{
    (void)arg;
    hogs_and_pair(1);
    int n = count_threads();
    printf("threads with GOROMAXTHREADS=3: %d\n", n);
    /* Ms, plus main and sysmon, plus ThreadSanitizer's own background
     * thread in TSan builds. */
    int extra = 0;
#if defined(__SANITIZE_THREAD__)
    extra = 1;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    extra = 1;
#endif
#endif
    CHECK(n <= 3 + 2 + extra);
}

int main(void)
{
    run_main(one_hog, NULL);
    run_main(two_hogs, NULL);
    run_main(churn, NULL);

    /* The thread cap, in a child (the runtime reads it once, at start). */
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* Fork from a process with threads: only async-signal-safe work
         * until exec, so re-run ourselves with the cap set. */
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            _exit(2);
        self[n] = 0;
        setenv("GOROMAXTHREADS", "3", 1);
        setenv("TEST_HOG_CHILD", "1", 1);
        execl(self, self, (char *)NULL);
        _exit(3);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    TEST_PASS("test_hog");
}

/* The child's entry: main() re-run with TEST_HOG_CHILD set. */
__attribute__((constructor)) static void child_entry(void)
{
    if (!getenv("TEST_HOG_CHILD"))
        return;
    run_main(capped, NULL);
    fflush(stdout);
    _exit(0);
}
