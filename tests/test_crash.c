/* SPDX-License-Identifier: MIT */
/*
 * test_crash.c: what fatal signals in goroutines print, each case in a
 * child process (this program run again with the case's name), with
 * MADV_GUARD_INSTALL guards and with the mprotect fallback:
 *  - stack overflow: deep recursion, and stack clash (a 96 KiB frame and
 *    a 1 MiB frame of which only the lowest bytes are written, as code
 *    built without -fstack-clash-protection does; this file is built
 *    without it): reported as "goroutine N stack overflow" with the
 *    goroutine's name and creation site; a neighbour goroutine parked on
 *    the stack just below holds a pattern, and a child that survives
 *    prints how much of it changed;
 *  - crashes: a NULL dereference, an integer division by zero, a SIGBUS
 *    (a mapped file truncated under it), an illegal instruction, a
 *    SIGSEGV sent with raise, and a NULL dereference on the main thread:
 *    Go's panic line, the signal line (code, address, pc), the pc's
 *    symbol and object, the crashing goroutine (id, name, state, creation
 *    site) and the other goroutines; then death by that very signal;
 *  - a SIGSEGV handler the program installed before its first goro call
 *    still runs after the report.
 * The sanitizers' own handlers for these signals are turned off in the
 * children (child_sanitizer_signals_off): with them on, goro's report is
 * followed by the sanitizer's and its exit status.
 */
// ctest-labels: diag
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "child.h"

static goro_waitgroup wg, parked;

/* ---- stack overflow ---- */

#define CLASH_WRITE 4080   /* bytes written at the bottom of the big frame */

__attribute__((noinline)) static void frame_96k(void)
{
    char buf[96 * 1024];
    memset(buf, 0x5a, CLASH_WRITE);
    __asm__ volatile("" : : "r"(buf) : "memory");
}

__attribute__((noinline)) static void frame_1m(void)
{
    char buf[1024 * 1024];
    memset(buf, 0x5a, CLASH_WRITE);
    __asm__ volatile("" : : "r"(buf) : "memory");
}

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 7 + 1);
}

/* Fills most of its stack, parks, and reports what changed meanwhile. */
static void neighbour(void *arg)
{
    (void)arg;
    volatile unsigned char buf[56 * 1024];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = pattern(i);
    goro_waitgroup_done(&parked);
    goro_sleep(300 * GORO_MILLISECOND);
    size_t changed = 0;
    for (size_t i = 0; i < sizeof buf; i++)
        changed += buf[i] != pattern(i);
    printf("neighbour: %zu bytes changed\n", changed);
    goro_waitgroup_done(&wg);
}

static void overflower(void *arg)
{
    const char *mode = arg;
    if (!strcmp(mode, "recursion"))
        deep_frames(1 << 20, NULL);
    else if (!strcmp(mode, "clash96k"))
        frame_96k();
    else
        frame_1m();
    printf("overflower survived\n");
    goro_waitgroup_done(&wg);
}

enum { OVERFLOW_LINE = __LINE__ + 12 };   /* the goro_go_opts call below */

static int child_overflow(const char *mode)
{
    /* The neighbour's stack is carved first, the overflower's right above
     * it. */
    goro_opts n = { .name = "neighbour" };
    goro_waitgroup_add(&wg, 2);
    goro_waitgroup_add(&parked, 1);
    CHECK(goro_go_opts(&n, neighbour, NULL) == 0);
    goro_waitgroup_wait(&parked);
    goro_opts o = { .name = "overflower" };
    CHECK(goro_go_opts(&o, overflower, (void *)mode) == 0);
    goro_waitgroup_wait(&wg);
    return 3;   /* not reached when the report works */
}

static void expect_overflow(const char *mode, const char *guard)
{
    char env[64], site[64];
    snprintf(env, sizeof env, "GORO_STACK_GUARD=%s", guard);
    snprintf(site, sizeof site, "created by %s:%d", __FILE__, OVERFLOW_LINE);
    child c;
    const char *args[] = { mode, NULL }, *envv[] = { env, NULL };
    child_start(&c, args, envv);
    int st = child_finish(&c);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT ||
        !strstr(c.out, "fatal error: goroutine ") || !strstr(c.out, " stack overflow (stack ") ||
        !strstr(c.out, "\tname: overflower\n") || !strstr(c.out, site) ||
        !strstr(c.out, "\tname: neighbour\n") || strstr(c.out, "neighbour: ")) {
        fprintf(stderr, "overflow %s (%s guard): status %#x, output:\n%s\n", mode, guard, st, c.out);
        CHECK(!"stack overflow reported");
    }
}

/* ---- crashes ---- */

static void bystander(void *arg)
{
    (void)arg;
    goro_sleep(10 * GORO_SECOND);
}

/* Not static: the report names them (the program is linked with
 * -rdynamic, so dladdr finds them). */
__attribute__((noinline)) void crash_null(void)
{
    volatile int *volatile p = NULL;
    *p = 1;
}

__attribute__((noinline)) void crash_fpe(void)
{
#if defined(__x86_64__)
    int q, zero = 0;   /* in assembly: UBSan checks a division in C */
    __asm__ volatile("cltd; idivl %1" : "=a"(q) : "r"(zero), "a"(1) : "edx");
    printf("%d\n", q);
#else
    raise(SIGFPE);   /* integer division does not trap here */
#endif
}

__attribute__((noinline)) void crash_bus(void)
{
    int fd = memfd_create("crash", 0);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
    volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED && ftruncate(fd, 0) == 0);
    p[0] = 1;
}

__attribute__((noinline)) void crash_ill(void)
{
#if defined(__x86_64__)
    __asm__ volatile("ud2");
#elif defined(__aarch64__)
    __asm__ volatile("udf #0");
#else
    raise(SIGILL);
#endif
}

__attribute__((noinline)) void crash_sent(void)
{
    raise(SIGSEGV);
}

static void crasher(void *arg)
{
    const char *mode = arg;
    if (!strcmp(mode, "null") || !strcmp(mode, "prior"))
        crash_null();
    else if (!strcmp(mode, "fpe"))
        crash_fpe();
    else if (!strcmp(mode, "bus"))
        crash_bus();
    else if (!strcmp(mode, "ill"))
        crash_ill();
    else if (!strcmp(mode, "sent"))
        crash_sent();
    printf("crasher survived\n");
}

/* A crash reporter of the program's own: says so, then lets the fault
 * repeat with the default action. */
static void prior_handler(int sig)
{
    static const char msg[] = "prior handler ran\n";
    (void)!write(2, msg, sizeof msg - 1);
    signal(sig, SIG_DFL);
}

enum { CRASH_LINE = __LINE__ + 13 };   /* the goro_go_opts call below */

static int child_crash(const char *mode)
{
    if (!strcmp(mode, "prior"))
        signal(SIGSEGV, prior_handler);   /* before any goro call */
    goro_opts b = { .name = "bystander" };
    CHECK(goro_go_opts(&b, bystander, NULL) == 0);
    if (!strcmp(mode, "plain")) {
        goro_sleep(10 * GORO_MILLISECOND);
        crash_null();
    }
    goro_opts o = { .name = "crasher" };
    CHECK(goro_go_opts(&o, crasher, (void *)mode) == 0);
    goro_sleep(10 * GORO_SECOND);
    return 3;   /* not reached when the report works */
}

static void expect_crash(const char *mode, int sig, const char *const *lines)
{
    char site[64];
    snprintf(site, sizeof site, "created by %s:%d", __FILE__, CRASH_LINE);
    child c;
    const char *args[] = { mode, NULL };
    child_start(&c, args, NULL);
    int st = child_finish(&c);
    bool ok = WIFSIGNALED(st) && WTERMSIG(st) == sig && strstr(c.out, "\tname: bystander\n");
    if (strcmp(mode, "plain") != 0)
        ok = ok && strstr(c.out, "[running]:\n\tname: crasher\n") && strstr(c.out, site);
    for (; *lines; lines++)
        ok = ok && strstr(c.out, *lines);
    if (!ok) {
        fprintf(stderr, "crash %s: status %#x, output:\n%s\n", mode, st, c.out);
        CHECK(!"crash reported");
    }
}

#define NIL_DEREF "panic: runtime error: invalid memory address or nil pointer dereference\n" \
                  "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x"
#define IN_TEST(fn) "pc: " fn "+0x", "test_crash+0x"

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "recursion") || !strncmp(argv[1], "clash", 5)))
        return child_overflow(argv[1]);
    if (argc > 1)
        return child_crash(argv[1]);

    child_sanitizer_signals_off();
    const char *modes[] = { "recursion", "clash96k", "clash1m" };
    for (int i = 0; i < 3; i++) {
        expect_overflow(modes[i], "madvise");
        expect_overflow(modes[i], "mprotect");
    }

    expect_crash("null", SIGSEGV, (const char *[]){ NIL_DEREF, IN_TEST("crash_null"), NULL });
    expect_crash("plain", SIGSEGV, (const char *[]){ NIL_DEREF, IN_TEST("crash_null"),
                                                     "not in a goroutine", NULL });
    expect_crash("prior", SIGSEGV, (const char *[]){ NIL_DEREF, "prior handler ran\n", NULL });
#if defined(__x86_64__)
    expect_crash("fpe", SIGFPE, (const char *[]){ "panic: runtime error: integer divide by zero\n"
                                                  "[signal SIGFPE: floating-point exception code=0x1 addr=0x",
                                                  IN_TEST("crash_fpe"), NULL });
#else
    expect_crash("fpe", SIGFPE, (const char *[]){ "[signal SIGFPE: floating-point exception", NULL });
#endif
    expect_crash("bus", SIGBUS, (const char *[]){ "unexpected fault address 0x",
                                                  "fatal error: fault\n[signal SIGBUS: bus error code=0x2 addr=0x",
                                                  IN_TEST("crash_bus"), NULL });
    expect_crash("ill", SIGILL, (const char *[]){ "fatal error: unexpected signal\n"
                                                  "[signal SIGILL: illegal instruction code=0x",
                                                  IN_TEST("crash_ill"), NULL });
    expect_crash("sent", SIGSEGV, (const char *[]){ "fatal error: unexpected signal\n"
                                                    "[signal SIGSEGV: segmentation violation code=", NULL });
    TEST_PASS("test_crash");
}
