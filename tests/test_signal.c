/* SPDX-License-Identifier: MIT */
// ctest-labels: signal
/*
 * test_signal: signals as channel values (goro_signal_notify and friends,
 * goro_ctx_with_signals), with real signals sent with kill(2):
 *  - in this process: a notified signal arrives on its channel; a full
 *    channel drops the next one; a signal blocked in main before the first
 *    goro call (so in every thread goro starts) still arrives; stop and
 *    reset give back the program's own handler, which goro never touched
 *    for the signals it was not given; ignore ignores; bad arguments are
 *    GORO_EINVAL;
 *  - SIGPIPE: goro_write and goro_send on a socket whose peer is gone are
 *    -EPIPE on main (where SIGPIPE is not blocked), and the process lives;
 *  - in a child whose every P runs a CPU hog: SIGTERM still reaches the
 *    goroutine waiting for it, which ends the hogs, and the child exits 0;
 *  - in a child: goro_ctx_with_signals is cancelled with the signal as its
 *    cause, and a second SIGINT kills the child (the default action is
 *    back).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <unistd.h>
#include "child.h"

static atomic_int own_hits;

static void own_handler(int sig)
{
    (void)sig;
    atomic_fetch_add(&own_hits, 1);
}

/* Receives one signal from ch within 10 s. */
static int recv_sig(goro_chan *ch)
{
    int s = 0;
    CHECK_EQ(goro_chan_recv_until(ch, &s, goro_now() + 10 * GORO_SECOND), 0);
    return s;
}

/* Waits until own_hits reaches n (10 s at most). */
static void wait_own(int n)
{
    for (int i = 0; i < 10000 && atomic_load(&own_hits) < n; i++)
        goro_sleep(GORO_MILLISECOND);
    CHECK_EQ(atomic_load(&own_hits), n);
}

static void in_process(void)
{
    int usr1[] = { SIGUSR1 }, usr2[] = { SIGUSR2 }, both[] = { SIGUSR1, SIGUSR2 };
    goro_chan *ch = goro_chan_make(sizeof(int), 1);
    CHECK(ch);

    /* SIGUSR1 is blocked in every thread but goro's relay. */
    CHECK_EQ(goro_signal_notify(ch, usr1, 1), 0);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK_EQ(recv_sig(ch), SIGUSR1);

    /* A full channel drops. */
    CHECK_EQ(goro_signal_notify(ch, both, 2), 0);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    while (goro_chan_len(ch) == 0)
        goro_sleep(GORO_MILLISECOND);
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    goro_sleep(50 * GORO_MILLISECOND);
    CHECK_EQ(recv_sig(ch), SIGUSR1);
    int s;
    CHECK_EQ(goro_chan_try_recv(ch, &s), GORO_EAGAIN);

    /* Reset gives SIGUSR2 its own handler back, and only SIGUSR2. */
    CHECK_EQ(goro_signal_reset(usr2, 1), 0);
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    wait_own(1);
    CHECK_EQ(goro_chan_try_recv(ch, &s), GORO_EAGAIN);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK_EQ(recv_sig(ch), SIGUSR1);

    /* Two channels; stop of one leaves the other. */
    goro_chan *ch2 = goro_chan_make(sizeof(int), 4);
    CHECK_EQ(goro_signal_notify(ch2, usr2, 1), 0);
    CHECK_EQ(goro_signal_notify(ch, usr2, 1), 0);
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    CHECK_EQ(recv_sig(ch), SIGUSR2);
    CHECK_EQ(recv_sig(ch2), SIGUSR2);
    goro_signal_stop(ch);
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    CHECK_EQ(recv_sig(ch2), SIGUSR2);
    CHECK_EQ(goro_chan_try_recv(ch, &s), GORO_EAGAIN);
    goro_signal_stop(ch2);
    goro_signal_stop(ch2);   /* not registered: nothing */
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    wait_own(2);

    /* Ignore, then reset. */
    CHECK_EQ(goro_signal_notify(ch, usr2, 1), 0);
    CHECK_EQ(goro_signal_ignore(usr2, 1), 0);
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    goro_sleep(50 * GORO_MILLISECOND);
    CHECK_EQ(goro_chan_try_recv(ch, &s), GORO_EAGAIN);
    CHECK_EQ(atomic_load(&own_hits), 2);
    CHECK_EQ(goro_signal_reset(usr2, 1), 0);
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    wait_own(3);

    /* Bad arguments. */
    int kill9[] = { SIGKILL }, segv[] = { SIGSEGV }, zero[] = { 0 }, big[] = { 65 };
    CHECK_EQ(goro_signal_notify(NULL, usr1, 1), GORO_EINVAL);
    CHECK_EQ(goro_signal_notify(ch, kill9, 1), GORO_EINVAL);
    CHECK_EQ(goro_signal_notify(ch, segv, 1), GORO_EINVAL);
    CHECK_EQ(goro_signal_notify(ch, zero, 1), GORO_EINVAL);
    CHECK_EQ(goro_signal_notify(ch, big, 1), GORO_EINVAL);
    CHECK_EQ(goro_signal_notify(ch, NULL, 1), GORO_EINVAL);
    CHECK_EQ(goro_signal_ignore(kill9, 1), GORO_EINVAL);
    goro_chan *wide = goro_chan_make(sizeof(long long), 1);
    CHECK_EQ(goro_signal_notify(wide, usr1, 1), GORO_EINVAL);
    CHECK(goro_ctx_with_signals(goro_ctx_background(), kill9, 1) == NULL);
    goro_chan_release(wide);

    goro_signal_stop(ch);
    goro_chan_release(ch);
    goro_chan_release(ch2);
}

static void no_sigpipe(void)
{
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    close(sv[1]);
    CHECK_EQ(goro_write(sv[0], "x", 1), -EPIPE);
    CHECK_EQ(goro_send(sv[0], "x", 1, 0), -EPIPE);
    goro_close(sv[0]);
}

/* ---- children ---- */

static atomic_int stop_hogs;

static void hog(void *arg)
{
    (void)arg;
    volatile unsigned long n = 0;
    while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed))
        n++;
}

static void sig_waiter(void *arg)
{
    if (recv_sig(arg) == SIGTERM)
        atomic_store(&stop_hogs, 1);
}

static int child_hogs(void)
{
    child_signal_to_relay(SIGTERM);
    goro_chan *ch = goro_chan_make(sizeof(int), 1);
    int term[] = { SIGTERM };
    CHECK_EQ(goro_signal_notify(ch, term, 1), 0);
    goro_waitgroup wg = {0};
    CHECK_EQ(goro_waitgroup_go(&wg, sig_waiter, ch), 0);
    goro_sleep(10 * GORO_MILLISECOND);   /* parked in its receive */
    for (int i = 0; i < goro_maxprocs(0); i++)
        CHECK_EQ(goro_waitgroup_go(&wg, hog, NULL), 0);
    goro_sleep(50 * GORO_MILLISECOND);   /* every P is busy */
    printf("ready\n");
    fflush(stdout);
    goro_waitgroup_wait(&wg);
    printf("stopped\n");
    return 0;
}

static int child_ctx(void)
{
    child_signal_to_relay(SIGINT);
    int intr[] = { SIGINT };
    goro_ctx *ctx = goro_ctx_with_signals(goro_ctx_background(), intr, 1);
    CHECK(ctx);
    CHECK_EQ(goro_ctx_err(ctx), 0);
    printf("ready\n");
    fflush(stdout);
    CHECK_EQ(goro_chan_recv(goro_ctx_done(ctx), NULL), GORO_ECLOSED);
    printf("cause %d err %d\n", goro_ctx_cause(ctx), goro_ctx_err(ctx));
    /* The watcher lets go of SIGINT before it cancels. (Under TSan SIGINT
     * was blocked: main takes the second one.) */
    sigset_t intr_set;
    sigemptyset(&intr_set);
    sigaddset(&intr_set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &intr_set, NULL);
    printf("again\n");
    fflush(stdout);
    for (;;)
        pause();
}

static void run_child(const char *mode, int first, const char *mid, int second,
                      const char *want, int want_sig)
{
    child c;
    const char *args[] = { mode, NULL };
    child_start(&c, args, NULL);
    CHECK(child_read_until(&c, "ready\n", 60000));
    CHECK_EQ(kill(c.pid, first), 0);
    if (mid) {
        CHECK(child_read_until(&c, mid, 60000));
        CHECK_EQ(kill(c.pid, second), 0);
    }
    int st = child_finish(&c);
    bool ok = want_sig ? WIFSIGNALED(st) && WTERMSIG(st) == want_sig
                       : WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok || !strstr(c.out, want)) {
        fprintf(stderr, "child %s: status %#x, want \"%s\"; output:\n%s\n", mode, st, want, c.out);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "hogs"))
        return child_hogs();
    if (argc > 1 && !strcmp(argv[1], "ctx"))
        return child_ctx();

    /* Before the first goro call: every thread goro starts inherits it. */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK(pthread_sigmask(SIG_BLOCK, &usr1, NULL) == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = own_handler;
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);

    in_process();
    no_sigpipe();
    run_child("hogs", SIGTERM, NULL, 0, "stopped\n", 0);
    char cause[64];
    snprintf(cause, sizeof cause, "cause %d err %d\n", SIGINT, GORO_ECANCELED);
    run_child("ctx", SIGINT, "again\n", SIGINT, cause, SIGINT);
    TEST_PASS("test_signal");
}
