/*
 * callsite.c: names the program's call behind a fatal error that the
 * runtime finds deep inside itself, for calls that take no call site (a
 * goro call from a signal handler, a goro call in a child of fork()).
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include <unwind.h>

#include "internal.h"

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

/* Formats pc as "name+0x1c (module+0x1234)", or without the name. */
static void describe(char *buf, size_t sz, uintptr_t pc)
{
    Dl_info d;
    if (!dladdr((void *)pc, &d) || !d.dli_fname) {
        snprintf(buf, sz, "%#lx", (unsigned long)pc);
        return;
    }
    unsigned long off = (unsigned long)(pc - (uintptr_t)d.dli_fbase);
    if (d.dli_sname)
        snprintf(buf, sz, "%s+%#lx (%s+%#lx)", d.dli_sname,
                 (unsigned long)(pc - (uintptr_t)d.dli_saddr), d.dli_fname, off);
    else
        snprintf(buf, sz, "%s+%#lx", d.dli_fname, off);
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
        describe(c->site, sizeof c->site, w.pc[site]);
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
    abort();
}
