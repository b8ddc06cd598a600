/* SPDX-License-Identifier: MIT */
/*
 * test_sigquit.c: the dump on SIGQUIT, in a child process (this program
 * run again) whose goroutines wait on a channel, one of them named, while
 * main sleeps outside goro (so no deadlock is reported):
 *  - GORODEBUG=sigquit: kill -QUIT writes "SIGQUIT: quit" and the dump to
 *    stderr (each goroutine's state, channel, name and creation site) and
 *    the child exits with status 2;
 *  - goro_dump_on_sigquit(true) does the same without the environment;
 *  - goro_dump_on_sigquit(false) afterwards restores the default action
 *    (the child dies of SIGQUIT, no dump).
 */
// ctest-labels: diag
#include <pthread.h>
#include "child.h"

static goro_chan *ch;

static void recv_forever(void *arg)
{
    (void)arg;
    int v;
    goro_chan_recv(ch, &v);
}

static int child_main(const char *mode)
{
    /* The signal goes to main (in pause): goro's threads, started below,
     * inherit the mask. Under TSan a signal that lands on a thread asleep
     * in a raw futex call waits for its next intercepted call, which an
     * idle M never makes. */
    sigset_t quit;
    sigemptyset(&quit);
    sigaddset(&quit, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &quit, NULL);
    if (!strcmp(mode, "api"))
        goro_dump_on_sigquit(true);
    else if (!strcmp(mode, "api_off")) {
        goro_dump_on_sigquit(true);
        goro_dump_on_sigquit(false);
    }
    ch = goro_chan_make(sizeof(int), 0);
    goro_opts named = { .name = "quitter" };
    CHECK(goro_go(recv_forever, NULL) == 0);
    CHECK(goro_go_opts(&named, recv_forever, NULL) == 0);
    /* Until both are parked on the channel: a fixed pause was not always
     * enough on a loaded machine (the dump showed them still runnable). */
    for (;;) {
        goro_stats_t s;
        goro_stats(&s);
        if (s.waiting_on[GORO_WAIT_CHAN_RECV] >= 2)
            break;
        goro_sleep(GORO_MILLISECOND);
    }
    printf("chan %p\nready\n", (void *)ch);
    fflush(stdout);
    pthread_sigmask(SIG_UNBLOCK, &quit, NULL);
    for (;;)
        pause();
}

static void run(const char *mode, const char *const *env, bool dumps)
{
    child c;
    const char *args[] = { mode, NULL };
    child_start(&c, args, env);
    CHECK(child_read_until(&c, "ready\n", 60000));
    char addr[40], chan_line[64];
    CHECK(sscanf(c.out, "chan %39s", addr) == 1);
    snprintf(chan_line, sizeof chan_line, "\ton: chan %s\n", addr);
    CHECK(kill(c.pid, SIGQUIT) == 0);
    int st = child_finish(&c);
    if (!dumps) {
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGQUIT);
        CHECK(!strstr(c.out, "SIGQUIT: quit"));
        return;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 || !strstr(c.out, "SIGQUIT: quit\n") ||
        !strstr(c.out, "[chan receive]:\n\tname: quitter\n") ||
        !strstr(c.out, chan_line) || !strstr(c.out, "created by " __FILE__ ":")) {
        fprintf(stderr, "mode %s: status %#x, want chan line '%s', output:\n%s\n",
                mode, st, chan_line, c.out);
        CHECK(!"SIGQUIT dump");
    }
    /* Two goroutines, each with its header and creation site. */
    int n = 0;
    for (const char *p = c.out; (p = strstr(p, "[chan receive]:\n")); p++)
        n++;
    CHECK_EQ(n, 2);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child_main(argv[1]);
    const char *env[] = { "GORODEBUG=sigquit", NULL };
    run("env", env, true);
    run("api", NULL, true);
    run("api_off", NULL, false);
    TEST_PASS("test_sigquit");
}
