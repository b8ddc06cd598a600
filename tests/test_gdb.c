/* SPDX-License-Identifier: MIT */
/*
 * test_gdb.c: tools/goro-gdb.py driven by gdb in batch mode.
 *
 * Run plain, this program is the driver: it runs gdb on itself
 * ("test_gdb inferior"), with the script sourced and a breakpoint on
 * goro_test_gdb_stop, and checks what `info goroutines`, `goroutine N bt`
 * and `goroutine N info frame` print. The inferior starts goroutines
 * parked in a channel receive (named), on a mutex, in a sleep and in a
 * WaitGroup wait, and one started with goro_waitgroup_go parked in a
 * channel receive, then, from a goroutine of its own, calls
 * goro_test_gdb_stop once all five are parked. Before that it prints one
 * "expect:" line per goroutine (id, wait reason, object, creation line),
 * which reaches the driver on the same pipe as gdb's output.
 *
 * Checked: each goroutine's line in `info goroutines` (id, wait reason,
 * object, name, creation site; the function of the goroutine started with
 * goro_waitgroup_go is the user's, not the runtime's trampoline), the current goroutine marked with '*' and
 * shown running; the backtrace of the receiver has recv_parker (which
 * called goro_chan_recv), goro_chan_recv and the park frames (goro__park*,
 * goro__ctx_switch; the ucontext build has no goro__ctx_switch frame of
 * the assembly kind but still one of that name); the registers are the
 * same before and after (the selected frame's pc is printed around it);
 * `goroutine N bt` of the running goroutine names its thread.
 *
 * Exit 77 (CTest: skipped) when gdb is not installed (GDB=path picks
 * one), or in sanitizer, Valgrind and emulator builds (GORO_TEST_SLOW is
 * set there): gdb cannot run under their launchers, and the script reads
 * the same records in those builds.
 */
// ctest-labels: gdb
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

/* ---------------- the inferior ---------------- */

static goro_chan *ch, *ch_wgo;
static goro_mutex mu;
static goro_waitgroup wg_block, wg_done, wg_go;
static volatile uint64_t recv_gid, mutex_gid, sleep_gid, wg_gid, wgo_gid, stop_gid;

__attribute__((noinline)) void goro_test_gdb_stop(void)
{
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void recv_parker(void *arg)
{
    (void)arg;
    recv_gid = goro_id();
    int v;
    goro_chan_recv(ch, &v);
    __asm__ volatile("" ::: "memory");   /* keep the call from being a tail call */
}

__attribute__((noinline)) static void mutex_parker(void *arg)
{
    (void)arg;
    mutex_gid = goro_id();
    goro_mutex_lock(&mu);
    goro_mutex_unlock(&mu);
}

__attribute__((noinline)) static void sleep_parker(void *arg)
{
    (void)arg;
    sleep_gid = goro_id();
    goro_sleep(3600 * GORO_SECOND);
}

__attribute__((noinline)) static void wg_parker(void *arg)
{
    (void)arg;
    wg_gid = goro_id();
    goro_waitgroup_wait(&wg_block);
}

__attribute__((noinline)) static void wgo_parker(void *arg)
{
    (void)arg;
    wgo_gid = goro_id();
    goro_chan_recv(ch_wgo, NULL);
    __asm__ volatile("" ::: "memory");
}

static int line_recv, line_mutex, line_sleep, line_wg, line_wgo, line_stop;

__attribute__((noinline)) static void stopper(void *arg)
{
    (void)arg;
    stop_gid = goro_id();
    int64_t deadline = goro_now() + 60 * GORO_SECOND;
    for (;;) {
        goro_stats_t st;
        goro_stats(&st);
        if (st.waiting >= 5 && recv_gid && mutex_gid && sleep_gid && wg_gid && wgo_gid)
            break;
        CHECK(goro_now() < deadline);
        goro_sleep(GORO_MILLISECOND);
    }
    /* Let the Ms that parked them finish switching away (g->ctx saved). */
    goro_sleep(20 * GORO_MILLISECOND);
    printf("expect: %llu chan-receive chan=%p line=%d name=the-receiver\n",
           (unsigned long long)recv_gid, (void *)ch, line_recv);
    printf("expect: %llu mutex mutex=%p line=%d\n",
           (unsigned long long)mutex_gid, (void *)&mu, line_mutex);
    printf("expect: %llu sleep line=%d\n", (unsigned long long)sleep_gid, line_sleep);
    printf("expect: %llu waitgroup waitgroup=%p line=%d\n",
           (unsigned long long)wg_gid, (void *)&wg_block, line_wg);
    printf("expect: %llu chan-receive chan=%p line=%d fn=wgo_parker\n",
           (unsigned long long)wgo_gid, (void *)ch_wgo, line_wgo);
    printf("expect: %llu running line=%d name=stopper\n",
           (unsigned long long)stop_gid, line_stop);
    fflush(stdout);
    goro_test_gdb_stop();
    __asm__ volatile("" ::: "memory");   /* not a tail call: stopper stays on the stack */
}

static int inferior(void)
{
    ch = goro_chan_make(sizeof(int), 0);
    ch_wgo = goro_chan_make(0, 0);
    CHECK(ch && ch_wgo);
    goro_mutex_lock(&mu);
    goro_waitgroup_add(&wg_block, 1);
    goro_opts named = { .name = "the-receiver" };
    line_recv = __LINE__; CHECK(goro_go_opts(&named, recv_parker, NULL) == 0);
    line_mutex = __LINE__; CHECK(goro_go(mutex_parker, NULL) == 0);
    line_sleep = __LINE__; CHECK(goro_go(sleep_parker, NULL) == 0);
    line_wg = __LINE__; CHECK(goro_go(wg_parker, NULL) == 0);
    line_wgo = __LINE__; CHECK(goro_waitgroup_go(&wg_go, wgo_parker, NULL) == 0);
    goro_opts sname = { .name = "stopper" };
    goro_waitgroup_add(&wg_done, 1);
    line_stop = __LINE__; CHECK(goro_go_opts(&sname, stopper, NULL) == 0);
    /* The stopper never calls done: gdb kills the process at the
     * breakpoint. Without gdb (run by hand), end after a while. */
    goro_waitgroup_wait_until(&wg_done, goro_now() + 2 * GORO_SECOND);
    return 0;
}

/* ---------------- the driver ---------------- */

static char gdb_path[4096];

static bool find_gdb(void)
{
    const char *env = getenv("GDB");
    if (env && *env) {
        snprintf(gdb_path, sizeof gdb_path, "%s", env);
        return access(gdb_path, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(gdb_path, sizeof gdb_path, "%.*s/gdb", (int)n, n ? path : ".");
        if (access(gdb_path, X_OK) == 0)
            return true;
        path += n;
        if (*path == ':')
            path++;
    }
    return false;
}

static char out[1 << 17];

/* Runs gdb on this program; its stdout+stderr (and the inferior's) in out. */
static int run_gdb(const char *self, const char *script, bool no_thread_db)
{
    char src[4200], p_recv[160], p_run[160], p_frame[160], p_all[160];
    snprintf(src, sizeof src, "source %s", script);
    /* The ids are the inferior's globals: the script evaluates N as an
     * expression. */
    snprintf(p_recv, sizeof p_recv, "goroutine recv_gid bt");
    snprintf(p_frame, sizeof p_frame, "goroutine recv_gid info registers pc");
    snprintf(p_run, sizeof p_run, "goroutine stop_gid bt");
    snprintf(p_all, sizeof p_all, "goroutine all bt 3");
    const char *argv[] = {
        gdb_path, "-batch", "-nx", "-q",
        "-iex", "set debuginfod enabled off",
        /* Without libthread_db gdb cannot read tls_m: the script falls
         * back to each P's M and its kernel thread id. */
        "-iex", no_thread_db ? "set libthread-db-search-path /nonexistent" : "echo",
        "-ex", "set pagination off",
        "-ex", "set width 0",
        "-ex", src,
        "-ex", "break goro_test_gdb_stop",
        "-ex", "run",
        "-ex", "echo ==info-goroutines==\\n",
        "-ex", "info goroutines",
        "-ex", "echo ==pc-before==\\n",
        "-ex", "info registers pc",
        "-ex", "echo ==bt-recv==\\n",
        "-ex", p_recv,
        "-ex", "echo ==pc-after==\\n",
        "-ex", "info registers pc",
        "-ex", "echo ==frame-recv==\\n",
        "-ex", p_frame,
        "-ex", "echo ==bt-running==\\n",
        "-ex", p_run,
        "-ex", "echo ==bt-all==\\n",
        "-ex", p_all,
        "-ex", "echo ==end==\\n",
        "-ex", "kill",
        "--args", self, "inferior", NULL };
    int p[2];
    CHECK(pipe(p) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        execv(gdb_path, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    size_t len = 0;
    ssize_t n;
    while (len < sizeof out - 1 && (n = read(p[0], out + len, sizeof out - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
    }
    out[len] = 0;
    close(p[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    return st;
}

/* The text between "==name==\n" and the next "==". */
static const char *section(const char *name, char *buf, size_t cap)
{
    char head[64];
    snprintf(head, sizeof head, "==%s==\n", name);
    const char *p = strstr(out, head);
    if (!p)
        return NULL;
    p += strlen(head);
    const char *e = strstr(p, "\n==");
    return copy_text(p, e ? e + 1 : NULL, buf, cap);
}

static int failures;

#define EXPECT(cond, ...) do { \
    if (!(cond)) { \
        fprintf(stderr, "test_gdb: FAIL: " __VA_ARGS__); \
        fputc('\n', stderr); \
        failures++; \
    } } while (0)

/* The line of `info goroutines` for goroutine id, or NULL. */
static const char *g_line(const char *info, unsigned long long id, char *buf, size_t cap)
{
    for (const char *p = info; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        unsigned long long got;
        char mark;
        int k;
        if (sscanf(p, "%c %llu%n", &mark, &got, &k) == 2 && (mark == ' ' || mark == '*') &&
            got == id && (p[k] == ' ' || p[k] == '\t'))
            return copy_text(p, e, buf, cap);
        p += n + (e != NULL);
    }
    return NULL;
}

static void check_expect(const char *info, const char *text)
{
    char exp[512];
    size_t len = strcspn(text, "\n");
    if (len >= sizeof exp)
        len = sizeof exp - 1;
    memcpy(exp, text, len);
    exp[len] = 0;
    unsigned long long id;
    char kind[32];
    int consumed;
    CHECK(sscanf(exp, "expect: %llu %31s%n", &id, kind, &consumed) == 2);
    char line[1024];
    if (!g_line(info, id, line, sizeof line)) {
        EXPECT(0, "no line for goroutine %llu (%s) in info goroutines", id, kind);
        return;
    }
    static const struct { const char *kind, *state; } states[] = {
        { "chan-receive", "chan receive" }, { "mutex", "sync.Mutex.Lock" },
        { "sleep", "sleep" }, { "waitgroup", "sync.WaitGroup.Wait" }, { "running", "running" },
    };
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (!strcmp(kind, states[i].kind))
            EXPECT(strstr(line, states[i].state), "goroutine %llu: no '%s' in: %s",
                   id, states[i].state, line);
    /* key=value words: chan=0x.., mutex=0x.., waitgroup=0x.., line=N, name=S,
     * fn=F (the Function column) */
    const char *p = exp + consumed;
    char word[256];
    int k;
    while (sscanf(p, " %255s%n", word, &k) == 1) {
        p += k;
        char *eq = strchr(word, '=');
        if (!eq)
            continue;
        *eq = 0;
        char want[300];
        if (!strcmp(word, "line"))
            snprintf(want, sizeof want, "test_gdb.c:%s", eq + 1);
        else if (!strcmp(word, "name"))
            snprintf(want, sizeof want, "%s", eq + 1);
        else if (!strcmp(word, "fn"))
            snprintf(want, sizeof want, " %s ", eq + 1);
        else
            snprintf(want, sizeof want, "%s %s", word, eq + 1);
        EXPECT(strstr(line, want), "goroutine %llu: no '%s' in: %s", id, want, line);
    }
    bool cur = !strcmp(kind, "running");
    EXPECT((line[0] == '*') == cur, "goroutine %llu: %s be marked current: %s", id,
           cur ? "should" : "should not", line);
}

/* One gdb session on the inferior, its output checked; false on failure. */
static bool check_session(const char *self, const char *script, bool no_thread_db)
{
    int before = failures;
    int st = run_gdb(self, script, no_thread_db);
    EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "gdb exit status %d", st);
    EXPECT(!strstr(out, "Python Exception") && !strstr(out, "Traceback"),
           "the script raised an exception");
    EXPECT(strstr(out, "==end==") != NULL, "gdb did not get to the end of the commands");

    char info[16384], bt[16384], pc0[512], pc1[512], fr[1024], brun[8192], ball[16384];
    EXPECT(section("info-goroutines", info, sizeof info), "no info goroutines output");
    EXPECT(section("bt-recv", bt, sizeof bt), "no goroutine bt output");
    EXPECT(section("pc-before", pc0, sizeof pc0) && section("pc-after", pc1, sizeof pc1),
           "no pc output");
    EXPECT(section("frame-recv", fr, sizeof fr), "no goroutine info registers output");
    EXPECT(section("bt-running", brun, sizeof brun), "no bt of the running goroutine");
    EXPECT(section("bt-all", ball, sizeof ball), "no goroutine all bt output");
    if (failures == before) {
        int nexp = 0;
        for (const char *p = out; (p = strstr(p, "expect: ")); p++) {
            check_expect(info, p);
            nexp++;
        }
        EXPECT(nexp == 6, "%d expect: lines from the inferior, want 6", nexp);

        EXPECT(strstr(bt, "recv_parker"), "bt of the receiver has no recv_parker frame");
        /* goro_chan_recv, or chan_recv where that is a tail call (AArch64) */
        EXPECT(strstr(bt, "chan_recv"), "bt of the receiver has no goro_chan_recv frame");
        EXPECT(strstr(bt, "goro__park"), "bt of the receiver has no goro__park* frame");
        EXPECT(strstr(bt, "goro__ctx_switch"), "bt of the receiver has no goro__ctx_switch frame");
        EXPECT(strstr(bt, "#0 "), "bt of the receiver has no frame #0");
        EXPECT(strstr(bt, "goro_test_gdb_stop") == NULL,
               "bt of the receiver shows the current thread's stack");
        /* recv_parker comes after goro_chan_recv (outer frame). */
        const char *f_recv = strstr(bt, "chan_recv"), *f_parker = strstr(bt, "recv_parker");
        EXPECT(!f_recv || !f_parker || f_parker > f_recv, "bt frames out of order");

        EXPECT(!strcmp(pc0, pc1), "pc changed by goroutine bt:\n%s---\n%s", pc0, pc1);
        EXPECT(strstr(pc0, "goro_test_gdb_stop"), "pc is not in goro_test_gdb_stop: %s", pc0);
        EXPECT(strstr(fr, "goro__ctx_switch"),
               "goroutine N info registers pc: not in goro__ctx_switch: %s", fr);

        EXPECT(strstr(brun, "running on thread"), "running goroutine: no thread named: %s", brun);
        EXPECT(strstr(brun, "goro_test_gdb_stop") && strstr(brun, "stopper"),
               "running goroutine: bt lacks goro_test_gdb_stop/stopper: %s", brun);
        /* goroutine all: a header per goroutine, the command run for each. */
        const char *heads[] = { "chan receive", "sync.Mutex.Lock", "sleep",
                                "sync.WaitGroup.Wait", "running" };
        for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
            EXPECT(strstr(ball, heads[i]), "goroutine all bt: no '%s' goroutine", heads[i]);
        EXPECT(strstr(ball, "#0 "), "goroutine all bt: no frames");
    }
    bool bad = failures != before;
    if (bad || getenv("GORO_TEST_GDB_VERBOSE"))
        fprintf(stderr, "---- gdb output (%s) ----\n%s---- end ----\n",
                no_thread_db ? "without libthread_db" : "with libthread_db", out);
    return !bad;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "inferior"))
        return inferior();

    const char *slow = getenv("GORO_TEST_SLOW");
    if (slow && *slow && *slow != '0') {
        printf("test_gdb: SKIPPED: sanitizer, Valgrind or emulator build (gdb cannot "
               "drive the program under its launcher)\n");
        return 77;
    }
    if (!find_gdb()) {
        printf("test_gdb: SKIPPED: gdb is not installed (apt-get install gdb)\n");
        return 77;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    self[n] = 0;
    /* The script next to this source: tests/../tools/goro-gdb.py. */
    char script[4096];
    snprintf(script, sizeof script, "%s", __FILE__);
    char *slash = strrchr(script, '/');
    CHECK(slash);
    *slash = 0;
    slash = strrchr(script, '/');
    if (slash)
        snprintf(slash, sizeof script - (size_t)(slash - script), "/tools/goro-gdb.py");
    else
        snprintf(script, sizeof script, "tools/goro-gdb.py");
    CHECK(access(script, R_OK) == 0);

    check_session(self, script, false);
    check_session(self, script, true);
    if (failures) {
        fprintf(stderr, "test_gdb: %d failure(s)\n", failures);
        return 1;
    }
    TEST_PASS("test_gdb");
}
