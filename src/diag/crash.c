/* SPDX-License-Identifier: MIT */
/*
 * crash.c: fatal signals. At the first goro call one handler is installed
 * for SIGSEGV, SIGBUS, SIGFPE and SIGILL, on the thread's alternate signal
 * stack (every M has one: stack.c), and what was installed before is kept.
 *
 *  - A SIGSEGV in the running goroutine's guard region is a stack
 *    overflow: stack.c reports it and aborts.
 *  - Anything else gets the crash report, Go's panic output:
 *        panic: runtime error: invalid memory address or nil pointer dereference
 *        [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x55d1c0a2b2a0]
 *        pc: parse_header+0x12 (/usr/bin/prog+0x11f2)
 *
 *        goroutine 7 [running]:
 *                name: parser
 *                parse_header+0x12 (/usr/bin/prog+0x11f2)
 *                serve+0x40 (/usr/bin/prog+0x1300)
 *        created by src/parse.c:40
 *
 *        (every other goroutine and blocked thread, as goro_dump writes them)
 *    then the signal goes on as if goro were not there: to the handler the
 *    program had installed before goro's, or to the default action, which
 *    is restored: the faulting instruction runs again (a signal sent with
 *    kill or raise is raised again) and the process dies by the signal, so
 *    exit status and core dumps are what they were without goro.
 *
 * One report per process: the first thread to crash writes it (reporter);
 * another that crashes meanwhile waits for it, at most a second, then
 * passes its signal on unreported. A fault inside the report on the same
 * thread: the same signal is blocked while its handler runs, so the kernel
 * kills the process; another of the four passes straight on.
 *
 * Async-signal-safety: the report is formatted into a buffer on the signal
 * stack and written with write(2); nothing allocates, except possibly the
 * first use of goro's thread-locals by a plain thread when libgoro.so was
 * loaded with dlopen. Not async-signal-safe by POSIX: dladdr (takes the
 * dynamic loader's lock, which is recursive: a crash inside dlopen on
 * another thread waits for that thread) and the goroutine dump (dump.c,
 * vsnprintf; glibc's does not allocate for the formats it uses).
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "sched/g.h"

static const int fatal_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
#define NSIGS (sizeof fatal_sigs / sizeof fatal_sigs[0])

/* What each signal had before goro's handler; written once, at install. */
static struct sigaction old_act[NSIGS];

/* Thread id of the thread writing the report, 0 before, -1 once written. */
static _Atomic pid_t reporter;

/* ---- formatting without stdio ---- */

typedef struct wbuf {
    char b[1024];
    size_t n;
} wbuf;

static void put(wbuf *w, const char *s)
{
    while (*s && w->n < sizeof w->b)
        w->b[w->n++] = *s++;
}

static void put_num(wbuf *w, uintptr_t v, unsigned base)
{
    char d[24];
    int i = 0;
    do {
        d[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (base == 16)
        put(w, "0x");
    while (i > 0 && w->n < sizeof w->b)
        w->b[w->n++] = d[--i];
}

static void flush(wbuf *w)
{
    for (size_t done = 0; done < w->n;) {
        ssize_t r = write(STDERR_FILENO, w->b + done, w->n - done);
        if (r <= 0 && errno != EINTR)
            break;
        if (r > 0)
            done += (size_t)r;
    }
    w->n = 0;
}

/* ---- the report ---- */

static uintptr_t context_pc(const void *uctx)
{
    const ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

/* Go's first line(s) for the signal. */
static void put_cause(wbuf *w, int sig, const siginfo_t *si, bool sent)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    if (sent || sig == SIGILL) {
        put(w, "fatal error: unexpected signal\n");
    } else if (sig == SIGFPE) {
        put(w, si->si_code == FPE_INTDIV ? "panic: runtime error: integer divide by zero\n"
             : si->si_code == FPE_INTOVF ? "panic: runtime error: integer overflow\n"
             : "panic: runtime error: floating point error\n");
    } else if (addr < 0x1000) {
        put(w, "panic: runtime error: invalid memory address or nil pointer dereference\n");
    } else {
        put(w, "unexpected fault address ");
        put_num(w, addr, 16);
        put(w, "\nfatal error: fault\n");
    }
}

/* "pc: symbol+0xoff (object+0xoff)": the object's offset is what
 * addr2line -e object takes. */
static void put_symbol(wbuf *w, uintptr_t pc)
{
    char buf[512];
    if (!pc)
        return;
    goro__symbolize(buf, sizeof buf, pc);
    put(w, "pc: ");
    put(w, buf);
    put(w, "\n");
}

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV: segmentation violation";
    case SIGBUS:  return "SIGBUS: bus error";
    case SIGFPE:  return "SIGFPE: floating-point exception";
    default:      return "SIGILL: illegal instruction";
    }
}

static void report(int sig, const siginfo_t *si, void *uctx, bool sent, const G *g)
{
    wbuf w = { .n = 0 };
    uintptr_t pc = context_pc(uctx);
    put_cause(&w, sig, si, sent);
    put(&w, "[signal ");
    put(&w, sig_name(sig));
    put(&w, " code=");
    put_num(&w, (uint32_t)si->si_code, 16);
    if (sent) {
        put(&w, " sent by pid ");
        put_num(&w, (uintptr_t)si->si_pid, 10);
    } else {
        put(&w, " addr=");
        put_num(&w, (uintptr_t)si->si_addr, 16);
    }
    put(&w, " pc=");
    put_num(&w, pc, 16);
    put(&w, "]\n");
    put_symbol(&w, pc);
    put(&w, "\n");
    if (!g) {
        pid_t tid = gettid();
        put(&w, "thread ");
        put_num(&w, (uintptr_t)tid, 10);
        put(&w, tid == getpid() ? " (main)" : "");
        put(&w, " [running]: not in a goroutine\n");
        flush(&w);
        goro__trace_write_self(STDERR_FILENO);
        put(&w, "\n");
    }
    flush(&w);
    goro__dump_fd(STDERR_FILENO, g, true);
}

/* Whether this thread writes the report; waits for another thread's. */
static bool report_claim(void)
{
    pid_t self = gettid(), cur = 0;
    if (atomic_compare_exchange_strong(&reporter, &cur, self))
        return true;
    struct timespec ms = { 0, 1000000 };
    for (int i = 0; cur != self && cur != -1 && i < 1000; i++) {
        nanosleep(&ms, NULL);
        cur = atomic_load(&reporter);
    }
    return false;
}

/* ---- the handler ---- */

static struct sigaction *old_action(int sig)
{
    for (size_t i = 0; i < NSIGS; i++)
        if (fatal_sigs[i] == sig)
            return &old_act[i];
    return NULL;
}

static void set_default(int sig)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
}

static void crash_handler(int sig, siginfo_t *si, void *uctx)
{
    int saved_errno = errno;
    const struct sigaction *old = old_action(sig);
    bool sent = si->si_code <= 0;   /* kill, raise, sigqueue: not a fault */
    bool had_handler = (old->sa_flags & SA_SIGINFO) ? old->sa_sigaction != NULL
                       : old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN;
    if (sent && !had_handler && old->sa_handler == SIG_IGN)
        return;   /* ignored, as before goro */
    G *g = goro__getg();
    if (sig == SIGSEGV && !sent && g && goro__stack_guard_hit(g, si->si_addr)) {
        signal(SIGABRT, SIG_DFL);
        goro__stack_overflow(g);
    }
    if (report_claim()) {
        report(sig, si, uctx, sent, g);
        goro__tracer_flush_fatal();
        atomic_store(&reporter, -1);
    }
    if (had_handler) {
        /* As the kernel would have called it. */
        if (old->sa_flags & SA_RESETHAND)
            set_default(sig);
        if (old->sa_flags & SA_SIGINFO)
            old->sa_sigaction(sig, si, uctx);
        else
            old->sa_handler(sig);
    } else {
        /* The default action: the fault repeats once we return; a sent
         * signal stays pending until then. */
        set_default(sig);
        if (sent)
            raise(sig);
    }
    errno = saved_errno;
}

void goro__crash_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = crash_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGS; i++)
        sigaction(fatal_sigs[i], &sa, &old_act[i]);
}
