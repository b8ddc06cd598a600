/* SPDX-License-Identifier: MIT */
/*
 * test_deadlock.c: the deadlock check (diag/deadlock.c), each case in a child
 * process (this program run again with the case's name), at the test's
 * GOROMAXPROCS (1 and 2):
 *  - main receives on a channel nobody will send on, with and without
 *    goroutines blocked beside it: the child aborts with Go's message and
 *    the dump (main shown as a thread in chan receive, the goroutines with
 *    their creation site);
 *  - main waits on a WaitGroup whose goroutine waits on a mutex main
 *    holds: reported;
 *  - no false alarm (the child finishes, nothing printed) while a timer
 *    is pending (goro_after_func sends later), a goroutine waits on an fd
 *    (a timerfd), a goroutine is inside goro_syscall_begin/end, a plain
 *    thread outside goro will send, or a plain thread waits in goro with
 *    a deadline;
 *  - GORODEBUG=deadlock=0 turns the check off (the child hangs until its
 *    alarm).
 * Under TSan the sanitizer's own background thread is a thread the check
 * cannot account for once it runs, so the check (soundly) reports nothing:
 * there a child that deadlocks may end by its alarm instead, with nothing
 * printed.
 */
// ctest-labels: diag
#include <pthread.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include "child.h"

#define DEADLOCK_MSG "fatal error: all goroutines are asleep - deadlock!"

#if defined(__SANITIZE_THREAD__)
#define TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN 1
#endif
#endif
#ifndef TSAN
#define TSAN 0
#endif

GORO_CHAN_DEFINE(intch, int)

static intch ch;
static goro_mutex mu;
static goro_waitgroup wg;

static void recv_forever(void *arg)
{
    (void)arg;
    int v;
    intch_recv(ch.rx, &v);
}

static void lock_mu(void *arg)
{
    (void)arg;
    goro_mutex_lock(&mu);
    goro_waitgroup_done(&wg);
}

static void send_one(void *arg)
{
    (void)arg;
    intch_send(ch.tx, 1);
}

static void read_timerfd(void *arg)
{
    int fd = (int)(intptr_t)arg;
    uint64_t n;
    CHECK(goro_read(fd, &n, sizeof n) == sizeof n);
    intch_send(ch.tx, 1);
}

static void in_syscall(void *arg)
{
    (void)arg;
    goro_syscall_begin();
    usleep(50 * 1000);
    goro_syscall_end();
    intch_send(ch.tx, 1);
}

static void *plain_sender(void *arg)
{
    (void)arg;
    usleep(50 * 1000);   /* not in goro: the check cannot know what it will do */
    intch_send(ch.tx, 1);
    return NULL;
}

static void *plain_timed(void *arg)
{
    (void)arg;
    goro_chan *never = goro_chan_make(sizeof(int), 0);
    int v;
    CHECK(goro_chan_recv_until(never, &v, goro_now() + 50 * GORO_MILLISECOND) == GORO_ETIMEDOUT);
    goro_chan_release(never);
    intch_send(ch.tx, 1);
    return NULL;
}

static int child_main(const char *mode)
{
    ch = intch_make(0);
    int v;
    pthread_t t;
    if (TSAN && (!strncmp(mode, "chan", 4) || !strcmp(mode, "mutex")))
        alarm(2);
    if (!strcmp(mode, "chan")) {
        intch_recv(ch.rx, &v);
    } else if (!strcmp(mode, "chan_goroutines")) {
        for (int i = 0; i < 3; i++)
            CHECK(goro_go(recv_forever, NULL) == 0);
        intch_recv(ch.rx, &v);
    } else if (!strcmp(mode, "mutex")) {
        goro_mutex_lock(&mu);
        goro_waitgroup_add(&wg, 1);
        CHECK(goro_go(lock_mu, NULL) == 0);
        goro_waitgroup_wait(&wg);
    } else if (!strcmp(mode, "timer")) {
        goro_timer *tm = goro_after_func(50 * GORO_MILLISECOND, send_one, NULL);
        CHECK(tm != NULL);
        intch_recv(ch.rx, &v);
        goro_timer_free(tm);
    } else if (!strcmp(mode, "fd")) {
        int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        CHECK(fd >= 0);
        struct itimerspec its = { .it_value = { 0, 50 * 1000 * 1000 } };
        CHECK(timerfd_settime(fd, 0, &its, NULL) == 0);
        CHECK(goro_go(read_timerfd, (void *)(intptr_t)fd) == 0);
        intch_recv(ch.rx, &v);
        goro_close(fd);
    } else if (!strcmp(mode, "syscall")) {
        CHECK(goro_go(in_syscall, NULL) == 0);
        intch_recv(ch.rx, &v);
    } else if (!strcmp(mode, "thread")) {
        CHECK(pthread_create(&t, NULL, plain_sender, NULL) == 0);
        intch_recv(ch.rx, &v);
        pthread_join(t, NULL);
    } else if (!strcmp(mode, "thread_timed")) {
        CHECK(pthread_create(&t, NULL, plain_timed, NULL) == 0);
        intch_recv(ch.rx, &v);
        pthread_join(t, NULL);
    } else if (!strcmp(mode, "off")) {
        alarm(1);   /* the check is off: only the alarm ends this */
        intch_recv(ch.rx, &v);
    } else {
        return 3;
    }
    printf("finished\n");
    return 0;
}

static void expect_deadlock(const char *mode, const char *also)
{
    child c;
    const char *args[] = { mode, NULL };
    child_start(&c, args, NULL);
    int st = child_finish(&c);
    if (TSAN && WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
        CHECK(!strstr(c.out, "fatal error"));
        return;
    }
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT || !strstr(c.out, DEADLOCK_MSG) ||
        !strstr(c.out, also)) {
        fprintf(stderr, "mode %s: status %#x, output:\n%s\n", mode, st, c.out);
        CHECK(!"deadlock reported");
    }
}

static void expect_finish(const char *mode, const char *const *env)
{
    child c;
    const char *args[] = { mode, NULL };
    child_start(&c, args, env);
    int st = child_finish(&c);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || strstr(c.out, "fatal error") ||
        !strstr(c.out, "finished")) {
        fprintf(stderr, "mode %s: status %#x, output:\n%s\n", mode, st, c.out);
        CHECK(!"no false deadlock");
    }
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child_main(argv[1]);

    expect_deadlock("chan", "(main) [chan receive]:");
    expect_deadlock("chan_goroutines", "[chan receive]:\n\ton: chan 0x");
    expect_deadlock("chan_goroutines", "created by " __FILE__ ":");
    expect_deadlock("mutex", "[sync.Mutex.Lock]:");
    expect_deadlock("mutex", "(main) [sync.WaitGroup.Wait]:");

    const char *modes[] = { "timer", "fd", "syscall", "thread", "thread_timed" };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        expect_finish(modes[i], NULL);

    child c;
    const char *args[] = { "off", NULL };
    const char *env[] = { "GORODEBUG=deadlock=0", NULL };
    child_start(&c, args, env);
    int st = child_finish(&c);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM);
    CHECK(!strstr(c.out, "fatal error"));

    TEST_PASS("test_deadlock");
}
