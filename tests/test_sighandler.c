/* SPDX-License-Identifier: MIT */
// ctest-labels: signal
// (Not "sched": its children re-execute the program, which qemu-user
// without binfmt_misc cannot do, so the AArch64 step leaves it out.)
/*
 * test_sighandler: a goro call from a signal handler that interrupted goro
 * on the same thread aborts with a message naming the call and the
 * handler, instead of waiting forever for the lock the interrupted code
 * holds.
 *
 * The child ("child" mode) loops on try_send/try_recv on a channel of one
 * slot while an interval timer's SIGALRM handler try_sends on the same
 * channel: soon a signal lands while the loop holds the channel's lock. A
 * watchdog thread ends a child that hangs (exit 3) or whose signals never
 * hit the window in 30 s (exit 4). Linked with -rdynamic so that the
 * report can name on_alarm. Not under TSan: it delivers a signal only at
 * its own safe points (intercepted calls), never while the loop is inside
 * goro, so there the case cannot arise.
 *
 * Then signals blocked before the first goro call and read from a
 * signalfd by a goroutine (what programs did before goro_signal_notify)
 * still work.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <unistd.h>
#include "misuse.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#endif

static goro_chan *ch;
static atomic_long progress;   /* loop rounds */

void on_alarm(int sig)
{
    (void)sig;
    int v = 1;
    goro_chan_try_send(ch, &v);
}

static void *watchdog(void *arg)
{
    (void)arg;
    long last = -1;
    for (int s = 0; s < 30; s++) {
        sleep(1);
        long now = atomic_load(&progress);
        if (now == last)
            _exit(3);   /* hung */
        last = now;
    }
    _exit(4);
}

static int child_main(void)
{
    ch = goro_chan_make(sizeof(int), 1);
    CHECK(ch);
    /* The watchdog never takes SIGALRM: it is for the looping thread. */
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    CHECK(pthread_sigmask(SIG_BLOCK, &alrm, &old) == 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, watchdog, NULL) == 0);
    CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval it = { { 0, 100 }, { 0, 100 } };
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    for (;;) {
        int v = 0;
        goro_chan_try_send(ch, &v);
        goro_chan_try_recv(ch, &v);
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
}

static void sig_reader(void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(sfd >= 0);
    struct signalfd_siginfo si;
    CHECK_EQ(goro_read(sfd, &si, sizeof si), sizeof si);
    int signo = (int)si.ssi_signo;
    CHECK_EQ(goro_chan_send(arg, &signo), 0);
    goro_close(sfd);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child_main();
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK(pthread_sigmask(SIG_BLOCK, &usr1, NULL) == 0);   /* before any goro call */
#ifndef UNDER_TSAN
    char out[8192];
    int st = misuse_run("child", out, sizeof out);
    const char *msg = "fatal error: goro: goro_chan_try_send called from a signal handler "
                      "while this thread was inside goro";
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT || !strstr(out, msg) ||
            !strstr(out, "at on_alarm+")) {
        fprintf(stderr, "expected SIGABRT with \"%s\" at on_alarm; status %#x, stderr:\n%s\n",
                msg, st, out);
        return 1;
    }
#endif

    goro_chan *sigs = goro_chan_make(sizeof(int), 1);
    CHECK(sigs);
    CHECK(goro_go(sig_reader, sigs) == 0);
    goro_sleep(10 * GORO_MILLISECOND);   /* most likely parked in goro_read by now */
    CHECK(kill(getpid(), SIGUSR1) == 0);
    int signo = 0;
    CHECK_EQ(goro_chan_recv(sigs, &signo), 0);
    CHECK_EQ(signo, SIGUSR1);
    goro_chan_release(sigs);
    TEST_PASS("test_sighandler");
}
