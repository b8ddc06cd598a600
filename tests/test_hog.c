/* SPDX-License-Identifier: MIT */
/*
 * test_hog.c: CPU hogs (goroutines that compute without calling into
 * goro) do not starve the others, even at GOMAXPROCS 1 (Go's
 * TestPingPongHog / TestPreemption spirit; goro moves the hog's P to
 * another thread instead of preempting it, see src/sched/sysmon.c).
 *  - a ping-pong pair keeps going while a goroutine busy-loops: it makes
 *    thousands of round trips while the hog is still spinning;
 *  - so do timers: a goroutine that sleeps 20 ms wakes while the hog spins;
 *  - two hogs at once, plus the pair;
 *  - a hog that then calls into goro (channel send, yield, sleep, exit)
 *    after it lost its P carries on correctly;
 *  - a goroutine polling with try operations or past deadlines lets the
 *    goroutine it waits for run (it yields once its slice is over);
 *  - hogs that come and go among goroutines that yield: nothing is lost,
 *    and a hog wired to its thread (goro_lock_os_thread) keeps it;
 *  - with GOROMAXTHREADS=3 (in a child process) the same holds, the
 *    thread count stays under the cap, and three hogs at once (more than
 *    the cap allows to move) still all finish.
 * The hogs spin until told to stop (at most 10 s), so the checks are about
 * progress made while they spin, not about wall-clock windows: they hold
 * on a loaded machine too.
 */
// ctest-labels: hog
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pingpong.h"

static _Atomic int stop_hogs;
static _Atomic int hogs_running;
static _Atomic unsigned long sink;

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Busy-loops, with no goro call, until stop_hogs or `ms` milliseconds. */
static void spin(long ms)
{
    int64_t end = mono_ms() + ms;
    unsigned long x = 0;
    while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed) && mono_ms() < end)
        for (int i = 0; i < 1000; i++)
            x = x * 6364136223846793005ul + 1442695040888963407ul;
    atomic_fetch_add_explicit(&sink, x, memory_order_relaxed);
}

static goro_chan *hog_done;

static void hog(void *arg)
{
    (void)arg;
    atomic_fetch_add(&hogs_running, 1);
    spin(10000);
    atomic_fetch_sub(&hogs_running, 1);
    /* Back in goro after losing the P: these must all work. */
    int one = 1;
    CHECK_EQ(goro_chan_send(hog_done, &one), 0);
    goro_yield();
    goro_sleep(GORO_MILLISECOND);
}

static _Atomic int sleeper_woke;

static void sleeper(void *arg)
{
    (void)arg;
    goro_sleep(20 * GORO_MILLISECOND);
    atomic_store(&sleeper_woke, 1);
}

static void hogs_and_pair(int nhogs)
{
    pingpong p;
    atomic_store(&stop_hogs, 0);
    atomic_store(&sleeper_woke, 0);
    pingpong_start(&p);
    WAIT_FOR(atomic_load(&p.rounds) > 100, 5);

    hog_done = goro_chan_make(sizeof(int), (size_t)nhogs);
    goro_waitgroup hw = {0};
    for (int i = 0; i < nhogs; i++)
        CHECK(goro_waitgroup_go(&hw, hog, NULL) == 0);
    WAIT_FOR(atomic_load(&hogs_running) == nhogs, 5);
    CHECK_EQ(atomic_load(&hogs_running), nhogs);

    long r0 = atomic_load(&p.rounds);
    goro_waitgroup sw = {0};
    goro_waitgroup_go(&sw, sleeper, NULL);
    WAIT_FOR(atomic_load(&p.rounds) - r0 >= 2000 && atomic_load(&sleeper_woke), 8);
    long made = atomic_load(&p.rounds) - r0;
    int still = atomic_load(&hogs_running);
    printf("%d hog(s): %ld round trips and the sleeper %s while %d hog(s) spun\n",
           nhogs, made, atomic_load(&sleeper_woke) ? "woke" : "did not wake", still);
    CHECK_EQ(still, nhogs);          /* the progress was made during the hog */
    CHECK(made >= 2000);
    CHECK(atomic_load(&sleeper_woke));

    atomic_store(&stop_hogs, 1);
    for (int i = 0; i < nhogs; i++) {
        int v;
        CHECK_EQ(goro_chan_recv(hog_done, &v), 0);
    }
    goro_waitgroup_wait(&hw);
    goro_waitgroup_wait(&sw);
    pingpong_stop(&p);
    goro_chan_release(hog_done);
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

/* Pollers: a goroutine that loops on a try operation (or a deadline
 * already past) calls into goro all the time, so it is not a hog sysmon
 * can take the P from easily; it yields at the call once its slice is
 * over, so the goroutine it waits for runs (on the same thread, at
 * GOMAXPROCS 1, unless sysmon had to move the P). One round per kind of
 * poll; the check is that each round ends. */
static _Atomic(pthread_t) poller_thread, sender_thread;

static void late_sender(void *arg)
{
    atomic_store(&sender_thread, pthread_self());
    int v = 7;
    CHECK_EQ(goro_chan_send(arg, &v), 0);
}

static void pollers(void *arg)
{
    (void)arg;
    int same_thread = 0;
    for (int kind = 0; kind < 3; kind++) {
        goro_chan *c = goro_chan_make(sizeof(int), 1);
        CHECK(c != NULL);
        goro_waitgroup wg = {0};
        CHECK_EQ(goro_waitgroup_go(&wg, late_sender, c), 0);   /* queued behind us */
        atomic_store(&poller_thread, pthread_self());
        int v = 0, r;
        do {
            if (kind == 0) {
                r = goro_chan_try_recv(c, &v);
            } else if (kind == 1) {
                goro_case cs[] = { GORO_CASE_RECV(c, &v) };
                r = goro_select_try(cs, 1);
            } else {
                r = goro_chan_recv_until(c, &v, goro_now() - 1);
            }
        } while (r < 0);
        CHECK_EQ(v, 7);
        goro_waitgroup_wait(&wg);
        if (pthread_equal(atomic_load(&poller_thread), atomic_load(&sender_thread)))
            same_thread++;
        goro_chan_release(c);
    }
    /* Not asserted: if the poller's thread is descheduled for a sysmon
     * tick (Valgrind runs one thread at a time; a loaded machine), sysmon
     * takes the P instead, which is also correct. */
    printf("pollers: the awaited goroutine ran on the poller's thread %d of 3 times\n",
           same_thread);
}

/* Hogs that start and stop over and over among goroutines that yield and
 * sleep: every goroutine finishes, nothing is lost. */
static _Atomic long work_done;

static void short_hog(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        spin(15);
        goro_yield();
        atomic_fetch_add(&work_done, 1);
    }
}

/* A hog wired to its thread: after losing its P it must come back on the
 * same thread every time. */
static void wired_hog(void *arg)
{
    (void)arg;
    goro_lock_os_thread();
    pthread_t self = pthread_self();
    for (int i = 0; i < 5; i++) {
        spin(15);
        goro_yield();
        CHECK(pthread_equal(self, pthread_self()));
        goro_sleep(100 * GORO_MICROSECOND);
        CHECK(pthread_equal(self, pthread_self()));
        atomic_fetch_add(&work_done, 1);
    }
    goro_unlock_os_thread();
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
    atomic_store(&stop_hogs, 0);
    goro_waitgroup wg = {0};
    for (int i = 0; i < 4; i++)
        CHECK(goro_waitgroup_go(&wg, short_hog, NULL) == 0);
    for (int i = 0; i < 8; i++)
        CHECK(goro_waitgroup_go(&wg, churner, NULL) == 0);
    CHECK(goro_waitgroup_go(&wg, wired_hog, NULL) == 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&work_done), 4 * 5 + 8 * 100 + 5);
}

/* Threads the runtime runs goroutines on (named goro-m). */
static int count_ms(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], name[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(name, sizeof name, f))
                name[0] = 0;
            fclose(f);
        }
        if (strncmp(name, "goro-m", 6) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void capped(void *arg)
{
    (void)arg;
    hogs_and_pair(1);
    int n = count_ms();
    printf("threads running goroutines with GOROMAXTHREADS=3: %d\n", n);
    CHECK(n >= 2 && n <= 3);
    /* Past the cap: three hogs want three threads, and this goroutine a
     * fourth. The last hog keeps its P; nothing breaks, the cap holds,
     * and all finish once told to stop. */
    atomic_store(&stop_hogs, 0);
    hog_done = goro_chan_make(sizeof(int), 3);
    goro_waitgroup hw = {0};
    for (int i = 0; i < 3; i++)
        CHECK(goro_waitgroup_go(&hw, hog, NULL) == 0);
    int64_t until = goro_now() + 300 * GORO_MILLISECOND;
    while (goro_now() < until)
        goro_sleep(GORO_MILLISECOND);   /* returns when some thread runs us */
    n = count_ms();
    printf("with 3 hogs: %d threads, %d hogs spinning\n", n, atomic_load(&hogs_running));
    CHECK(n <= 3);
    atomic_store(&stop_hogs, 1);
    for (int i = 0; i < 3; i++) {
        int v;
        CHECK_EQ(goro_chan_recv(hog_done, &v), 0);
    }
    goro_waitgroup_wait(&hw);
    goro_chan_release(hog_done);
}

int main(void)
{
    if (getenv("TEST_HOG_CHILD")) {
        run_main(capped, NULL);
        TEST_PASS("test_hog (capped)");
    }
    run_main(one_hog, NULL);
    run_main(two_hogs, NULL);
    run_main(churn, NULL);
    run_main(pollers, NULL);

    /* The thread cap, in a child (the runtime reads it once, at start):
     * re-run this program with the cap set. */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    self[n] = 0;
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        char *envp[] = { "GOROMAXTHREADS=3", "TEST_HOG_CHILD=1", NULL, NULL, NULL };
        char *slow = getenv("GORO_TEST_SLOW");
        char *procs = getenv("GOROMAXPROCS");
        static char b1[64], b2[64];
        int k = 2;
        if (slow && strlen(slow) < 40) {
            strcpy(b1, "GORO_TEST_SLOW=");
            strcat(b1, slow);
            envp[k++] = b1;
        }
        if (procs && strlen(procs) < 40) {
            strcpy(b2, "GOROMAXPROCS=");
            strcat(b2, procs);
            envp[k++] = b2;
        }
        execle(self, self, (char *)NULL, envp);
        _exit(3);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    TEST_PASS("test_hog");
}
