/* SPDX-License-Identifier: MIT */
/*
 * callsite.c: the runtime's one unwinder and symbolizer. It names the
 * program's call behind a fatal error that the runtime finds deep inside
 * itself, for calls that take no call site (a goro call from a signal
 * handler, a goro call in a child of fork()), and gives the frames that
 * dumps, leak reports and fatal reports print (goro__trace_*).
 *
 * Two walks. The calling thread's own stack is unwound with libgcc's
 * unwinder (unwind tables: no frame pointers needed, and it crosses
 * signal frames). Any other stack (a parked goroutine's, from the frame
 * pointer and pc its context switch saved; a plain thread asleep in a
 * goro wait, from the frame pointer it recorded) is walked along its
 * frame-pointer chain, which reaches as far as the code was built with
 * frame pointers (libgoro is). Every word of another stack is read with
 * process_vm_readv on ourselves, so a stack freed or reused meanwhile
 * gives a short or wrong trace, never a fault (where the call is missing,
 * qemu-user, the words are read directly); the chain must grow
 * upwards and stay within 16 MiB, so a corrupt one ends the walk.
 *
 * It unwinds the stack with libgcc's unwinder, which also crosses signal
 * frames, and names each return address with dladdr. The runtime's
 * frames are those in libgoro's module. With the shared library that is
 * exact. When libgoro is linked into the program, only exported names
 * tell the two apart (a program linked with -rdynamic); without them the
 * site is the signal handler's frame when there is one, else the list of
 * return addresses (module+offset, for addr2line).
 *
 * Nothing here allocates or takes a lock of the runtime or of malloc, and
 * the report is written with write(2), so it works from a signal handler
 * that interrupted either. The only locks taken are the dynamic loader's
 * (dladdr, and dl_iterate_phdr in the unwinder): a handler that
 * interrupted dlopen or an exception's unwinding could still hang here.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/uio.h>
#include <unistd.h>
#include <unwind.h>

#include "base/base.h"

enum { MAX_FRAMES = 64 };

typedef struct walk {
    uintptr_t pc[MAX_FRAMES];  /* an address inside each call instruction */
    bool sig[MAX_FRAMES];      /* frame interrupted by a signal */
    int n;
} walk;

static _Unwind_Reason_Code collect(struct _Unwind_Context *ctx, void *arg)
{
    walk *w = arg;
    int before = 0;
    uintptr_t pc = _Unwind_GetIPInfo(ctx, &before);
    if (w->n == MAX_FRAMES || pc == 0)
        return _URC_END_OF_STACK;
    w->sig[w->n] = before != 0;
    w->pc[w->n++] = before ? pc : pc - 1;
    return _URC_NO_REASON;
}

size_t goro__symbolize(char *buf, size_t sz, uintptr_t pc)
{
    Dl_info d;
    int n;
    if (!dladdr((void *)pc, &d) || !d.dli_fname) {
        n = snprintf(buf, sz, "%#lx", (unsigned long)pc);
    } else {
        /* A position-dependent executable's addresses are absolute. */
        const ElfW(Ehdr) *eh = d.dli_fbase;
        unsigned long off = (unsigned long)(eh && eh->e_type == ET_EXEC ? pc
                                            : pc - (uintptr_t)d.dli_fbase);
        if (d.dli_sname && d.dli_saddr)
            n = snprintf(buf, sz, "%s+0x%lx (%s+0x%lx)", d.dli_sname,
                         (unsigned long)(pc - (uintptr_t)d.dli_saddr), d.dli_fname, off);
        else
            n = snprintf(buf, sz, "%s+0x%lx", d.dli_fname, off);
    }
    if (n < 0)
        n = 0;
    return (size_t)n < sz ? (size_t)n : sz - 1;
}

/* What the frame at pc is. *entry: the name of a public call. */
enum { FR_RUNTIME, FR_PROGRAM, FR_UNNAMED, FR_OTHER };
static int classify(uintptr_t pc, const void *lib, bool lib_is_exe, const char **entry)
{
    Dl_info d;
    if (!dladdr((void *)pc, &d))
        return FR_PROGRAM;
    if (d.dli_fbase != lib)
        /* With goro linked into the program, another module (libc) is
         * the program's only if no unnamed frame came before it. */
        return lib_is_exe ? FR_OTHER : FR_PROGRAM;
    if (d.dli_sname && strncmp(d.dli_sname, "goro_", 5) == 0 &&
            strncmp(d.dli_sname, "goro__", 6) != 0)
        *entry = d.dli_sname;
    if (!lib_is_exe)
        return FR_RUNTIME;
    if (!d.dli_sname)
        return FR_UNNAMED;   /* goro's internals, or a program without -rdynamic */
    return strncmp(d.dli_sname, "goro", 4) == 0 ? FR_RUNTIME : FR_PROGRAM;
}

void goro__caller_find(goro__caller *c)
{
    walk w = { .n = 0 };
    _Unwind_Backtrace(collect, &w);
    Dl_info self, exe;
    const void *lib = dladdr((void *)goro__caller_find, &self) ? self.dli_fbase : NULL;
    bool lib_is_exe = dladdr((void *)getauxval(AT_PHDR), &exe) && exe.dli_fbase == lib;
    /* The innermost signal frame: the frame before it is the trampoline
     * the kernel returns through, and the one before that the handler. */
    int handler = -1, end = w.n, site = -1;
    for (int i = 1; i < w.n; i++)
        if (w.sig[i]) {
            handler = i - 2;
            end = i - 1;
            break;
        }
    const char *entry = NULL;
    bool unnamed = false;
    for (int i = 0; i < end && site < 0; i++) {
        int r = classify(w.pc[i], lib, lib_is_exe, &entry);
        if (r == FR_UNNAMED)
            unnamed = true;
        else if (r == FR_PROGRAM || (r == FR_OTHER && !unnamed))
            site = i;
        else if (r == FR_OTHER)
            break;
    }
    c->in_handler = handler >= 0;
    if (site < 0)
        site = handler;
    snprintf(c->entry, sizeof c->entry, "%s", entry ? entry : "a goro function");
    if (site >= 0) {
        goro__symbolize(c->site, sizeof c->site, w.pc[site]);
        return;
    }
    /* Cannot tell: the return addresses, for addr2line. */
    size_t len = (size_t)snprintf(c->site, sizeof c->site, "unknown call site; return addresses:");
    for (int i = 0; i < w.n && len < sizeof c->site; i++) {
        Dl_info d;
        if (dladdr((void *)w.pc[i], &d) && d.dli_fname)
            len += (size_t)snprintf(c->site + len, sizeof c->site - len, " %s+%#lx",
                                    d.dli_fname, (unsigned long)(w.pc[i] - (uintptr_t)d.dli_fbase));
    }
}

/* ---- traces ---- */

/* Drops the runtime's frames on top: those above the first frame that
 * has a name (goro's internal functions have none: they are hidden; the
 * first is the public call, or where that call's path has no name of its
 * own, such as a fatal error's cold part, the program's frame). With
 * nothing named (the program exports no names), all stay. */
static int trim(uintptr_t *pcs, int n)
{
    int first = 0;
    Dl_info d;
    while (first < n && !(dladdr((void *)pcs[first], &d) && d.dli_sname))
        first++;
    if (first == n)
        return n;
    memmove(pcs, pcs + first, (size_t)(n - first) * sizeof *pcs);
    return n - first;
}

int goro__trace_self(uintptr_t *pcs, int max)
{
    walk w = { .n = 0 };
    _Unwind_Backtrace(collect, &w);
    /* After a signal frame, the interrupted code's frames only. */
    int from = 0;
    for (int i = 1; i < w.n; i++)
        if (w.sig[i]) {
            from = i;
            break;
        }
    int n = 0;
    for (int i = from; i < w.n && n < max; i++)
        pcs[n++] = w.pc[i];
    return from ? n : trim(pcs, n);
}

/* Without process_vm_readv (qemu-user), other stacks are read directly. */
static _Atomic bool no_vm_readv;

static bool peek(pid_t self, uintptr_t addr, uintptr_t *out)
{
    if (!atomic_load_explicit(&no_vm_readv, memory_order_relaxed)) {
        struct iovec mine = { out, sizeof *out }, theirs = { (void *)addr, sizeof *out };
        if (process_vm_readv(self, &mine, 1, &theirs, 1, 0) == (ssize_t)sizeof *out)
            return true;
        if (errno != ENOSYS)
            return false;
        atomic_store_explicit(&no_vm_readv, true, memory_order_relaxed);
    }
    *out = *(volatile const uintptr_t *)addr;
    return true;
}

int goro__trace_fp(uintptr_t pc, uintptr_t fp, uintptr_t *pcs, int max)
{
    pid_t self = getpid();
    int n = 0;
    if (pc && max > 0)
        pcs[n++] = pc - 1;   /* a return address: the call is before it */
    while (n < max && fp && (fp & (sizeof fp - 1)) == 0) {
        uintptr_t next, ret;
        if (!peek(self, fp, &next) || !peek(self, fp + sizeof fp, &ret) || ret < 4096 ||
                next == 0)
            break;   /* next == 0: ret is in the entry trampoline (goro__ctx_start) */
        pcs[n++] = ret - 1;
        if (next <= fp || next - fp > ((uintptr_t)16 << 20))
            break;
        fp = next;
    }
    return trim(pcs, n);
}

int goro__trace_ctx(const void *ctx, size_t pc_off, size_t fp_off, uintptr_t *pcs, int max)
{
    uintptr_t pc, fp;
    pid_t self = getpid();
    if (fp_off == pc_off)
        return 0;   /* ucontext on an architecture without frame offsets */
    if (!ctx || !peek(self, (uintptr_t)ctx + pc_off, &pc) ||
            !peek(self, (uintptr_t)ctx + fp_off, &fp))
        return 0;
    return goro__trace_fp(pc, fp, pcs, max);
}

void goro__trace_write_self(int fd)
{
    uintptr_t pcs[GORO_TRACE_DEPTH];
    int n = goro__trace_self(pcs, GORO_TRACE_DEPTH);
    for (int i = 0; i < n; i++) {
        char line[600];
        line[0] = '\t';
        size_t len = 1 + goro__symbolize(line + 1, sizeof line - 2, pcs[i]);
        line[len++] = '\n';
        for (size_t off = 0; off < len;) {
            ssize_t k = write(fd, line + off, len - off);
            if (k <= 0)
                return;
            off += (size_t)k;
        }
    }
}

_Noreturn void goro__fatal_site(const char *site, const char *fmt, ...)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "fatal error: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    va_end(ap);
    if (n < (int)sizeof buf)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "\n\tat %s\n", site);
    if (n > (int)sizeof buf - 1)
        n = (int)sizeof buf - 1;
    for (int off = 0; off < n;) {
        ssize_t k = write(2, buf + off, (size_t)(n - off));
        if (k <= 0)
            break;
        off += (int)k;
    }
    goro__trace_write_self(2);
    goro__tracer_flush_fatal();
    abort();
}

_Noreturn void goro__fatal(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    char buf[512];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "fatal error: %s\n\tat %s:%d\n", buf, file, line);
    fflush(stderr);
    goro__trace_write_self(2);
    goro__tracer_flush_fatal();
    abort();
}

/* Set in a child of fork() (sched/fork.c's atfork handler). */
_Atomic uint32_t goro__forked;

_Noreturn void goro__fork_fatal(const char *call, const char *file, int line)
{
    goro__caller c;
    if (file)
        snprintf(c.site, sizeof c.site, "%s:%d", file, line);
    else
        goro__caller_find(&c);
    if (call)
        snprintf(c.entry, sizeof c.entry, "%s", call);
    goro__fatal_site(c.site, "goro: %s called in a child of fork(); only exec is supported",
                     c.entry);
}
