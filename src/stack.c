/*
 * stack.c: goroutine stacks: slabs, per-P pools, guard regions, overflow
 * reports.
 *
 * A stack is a guard region (GUARD_BYTES, 1 MiB) followed by `size` usable
 * bytes. The guard is that large so that a frame of up to 1 MiB that skips
 * past the end of its stack (code built without -fstack-clash-protection
 * writes a big frame's lowest bytes first) lands in it, not in the stack
 * below: it costs address space only. Default-size
 * stacks are carved from large MAP_NORESERVE slabs, so they cost only the
 * pages a goroutine touches; a goroutine gets one when it first runs (never
 * at goro_go), and gives it back to its P's pool when it ends. A pool over
 * GORO_STACK_POOL spills half to a global pool; once that holds GPOOL_HOT
 * stacks, spilled stacks first hand their pages back to the kernel with
 * MADV_FREE (one call per run of adjacent stacks): the kernel takes them
 * only under memory pressure, and until then a stack reused after a burst
 * of goroutines costs no page fault and no zeroing (MADV_DONTNEED cost a
 * fault per stack page on every burst). Other sizes get
 * a mapping of their own, unmapped when the goroutine ends. When a slab
 * cannot be mapped, one default stack is mapped alone; only when that
 * fails too does a goroutine find no stack (fatal at its first run: it
 * has no caller to report to).
 *
 * Guards: MADV_GUARD_INSTALL (Linux 6.13+) costs no VMA, so a million
 * guarded stacks fit under the default vm.max_map_count. Where the kernel
 * lacks it, the first GUARD_MPROTECT_MAX stacks get an mprotect()ed guard
 * region (two VMAs each) and later ones a canary word at their lowest
 * usable address, checked each time their goroutine switches out (overflow
 * then is reported late, at the switch, rather than at the faulting
 * access; their guard region is ordinary memory, so a frame that skips the
 * canary still stays clear of the stack below).
 *
 * A SIGSEGV in the running goroutine's guard region (crash.c sees it, on
 * the thread's alternate signal stack) is reported as "goroutine N stack
 * overflow" with the goroutine's creation site, followed by the goroutine
 * dump.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "san.h"
#if GORO_VALGRIND
#include <valgrind/valgrind.h>
#endif

#define SLAB_STACKS 256
#define GUARD_BYTES ((size_t)1 << 20)   /* below every stack; a multiple of any page size */
#define GPOOL_HOT 16384           /* global pool stacks that keep their pages (64+ MiB) */
#define GUARD_MPROTECT_MAX 16384
#define CANARY 0x676f726f63616e79ull   /* "gorocany" */

enum { STACK_CANARY = 1 };        /* unguarded: check the canary instead */

enum { GUARD_MADVISE, GUARD_MPROTECT };

static size_t page_size;
static size_t default_total;      /* GUARD_BYTES + GORO_STACK_DEFAULT */
static int guard_mode;

/* Slab carving and the global pool (pool_lock). */
static goro__lock pool_lock;
static char *slab_cur, *slab_end;
static long nguarded;             /* mprotect guards installed */
static char **gpool;
static size_t gpool_n, gpool_cap;
static long ncarved;              /* default stacks ever carved (pool_lock) */
static _Atomic long nother;       /* other-size stacks mapped */

size_t goro__stack_default(void)
{
    return GORO_STACK_DEFAULT;
}

void goro__stack_init(void)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    default_total = GUARD_BYTES + GORO_STACK_DEFAULT;
    guard_mode = GUARD_MPROTECT;
    const char *force = getenv("GORO_STACK_GUARD");
    if (force && strcmp(force, "mprotect") == 0)
        return;
    void *probe = goro__mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe != MAP_FAILED) {
        if (goro__madvise(probe, page_size, MADV_GUARD_INSTALL) == 0)
            guard_mode = GUARD_MADVISE;
        munmap(probe, 2 * page_size);
    }
}

/* Protects the guard region at lo; returns the STACK_* flags. */

static int guard_install(char *lo, bool counted)
{
    if (guard_mode == GUARD_MADVISE) {
        if (goro__madvise(lo, GUARD_BYTES, MADV_GUARD_INSTALL) == 0)
            return 0;
    } else if (!counted || nguarded < GUARD_MPROTECT_MAX) {
        if (goro__mprotect(lo, GUARD_BYTES, PROT_NONE) == 0) {
            if (counted)
                nguarded++;
            return 0;
        }
    }
    *(uint64_t *)(lo + GUARD_BYTES) = CANARY;
    return STACK_CANARY;
}

static void stack_register(char *lo, size_t total, G *g)
{
#if GORO_VALGRIND
    unsigned id = VALGRIND_STACK_REGISTER(lo + GUARD_BYTES, lo + total);
    if (g)
        g->vg_stack_id = id;
#endif
#if GORO_ASAN
    __lsan_register_root_region(lo + GUARD_BYTES, total - GUARD_BYTES);
#endif
    (void)lo; (void)total; (void)g;
}

/* A new default stack from the slab (pool_lock held). When a new slab
 * cannot be mapped, a mapping of one stack is tried before giving up
 * (pooled like the others, never unmapped). */
static char *slab_carve(uint16_t *flags)
{
    char *lo;
    if ((size_t)(slab_end - slab_cur) >= default_total) {
        lo = slab_cur;
        slab_cur += default_total;
    } else {
        const int mf = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK;
        size_t len = default_total * SLAB_STACKS;
        void *s = goro__mmap(NULL, len, PROT_READ | PROT_WRITE, mf, -1, 0);
        if (s != MAP_FAILED) {
            goro__madvise(s, len, MADV_NOHUGEPAGE);   /* a failure is harmless */
            slab_cur = s;
            slab_end = slab_cur + len;
            lo = slab_cur;
            slab_cur += default_total;
        } else {
            s = goro__mmap(NULL, default_total, PROT_READ | PROT_WRITE, mf, -1, 0);
            if (s == MAP_FAILED)
                return NULL;
            lo = s;
        }
    }
    ncarved++;
    *flags = (uint16_t)guard_install(lo, true);
    stack_register(lo, default_total, NULL);
    return lo;
}

int goro__stack_attach(P *p, G *g)
{
    if (g->stack_size == 0 || g->stack_size == GORO_STACK_DEFAULT) {
        char *lo = NULL;
        uint16_t flags = 0;
        if (p->nstacks > 0) {
            lo = p->stacks[--p->nstacks];
        } else {
            goro__lock_acquire(&pool_lock);
            while (gpool_n > 0 && p->nstacks < GORO_STACK_POOL / 2)
                p->stacks[p->nstacks++] = gpool[--gpool_n];
            if (p->nstacks > 0)
                lo = p->stacks[--p->nstacks];
            else
                lo = slab_carve(&flags);
            goro__lock_release(&pool_lock);
            if (!lo)
                return GORO_ENOMEM;
        }
        /* Pool entries carry STACK_CANARY in their (page-aligned) low bits;
         * the canary itself may have gone with MADV_FREE. */
        if ((uintptr_t)lo & STACK_CANARY) {
            lo = (char *)((uintptr_t)lo & ~(uintptr_t)STACK_CANARY);
            flags = STACK_CANARY;
        }
        if (flags & STACK_CANARY)
            *(uint64_t *)(lo + GUARD_BYTES) = CANARY;
        g->stack_lo = lo;
        g->stack_size = default_total;
        g->stack_flags = flags;
        return 0;
    }
    /* goro_go_opts caps the size (GORO_STACK_MAX): no overflow here */
    size_t usable = (g->stack_size + page_size - 1) & ~(page_size - 1);
    size_t total = GUARD_BYTES + usable;
    void *s = goro__mmap(NULL, total, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (s == MAP_FAILED)
        return GORO_ENOMEM;
    atomic_fetch_add_explicit(&nother, 1, memory_order_relaxed);
    g->stack_lo = s;
    g->stack_size = total;
    g->stack_flags = (uint16_t)guard_install(s, false);
    stack_register(s, total, g);
    return 0;
}

/* `stack_lo`/`stack_size` hold the whole mapping while attached; the
 * context is made on the usable part (see goro__stack_usable). */
void goro__stack_usable(const G *g, char **lo, size_t *size)
{
    *lo = g->stack_lo + GUARD_BYTES;
    *size = g->stack_size - GUARD_BYTES;
}

static int cmp_addr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(char *const *)a, y = (uintptr_t)*(char *const *)b;
    return x < y ? -1 : x > y;
}

/* MADV_FREE on the usable part of n default stacks (pool entries),
 * one call per run of adjacent stacks: guard pages keep their protection
 * through it. Sorts the entries. */
static void release_pages(char **stacks, int n)
{
    qsort(stacks, (size_t)n, sizeof *stacks, cmp_addr);
    for (int i = 0; i < n;) {
        char *lo = (char *)((uintptr_t)stacks[i] & ~(uintptr_t)STACK_CANARY);
        char *hi = lo + default_total;
        int j = i + 1;
        while (j < n && (char *)((uintptr_t)stacks[j] & ~(uintptr_t)STACK_CANARY) == hi) {
            hi += default_total;
            j++;
        }
        goro__madvise(lo + GUARD_BYTES, (size_t)(hi - lo) - GUARD_BYTES, MADV_FREE);   /* harmless if it fails */
        i = j;
    }
}

void goro__stack_release(P *p, G *g)
{
    char *lo = g->stack_lo;
    if (!lo)
        return;
    g->stack_lo = NULL;
    if (g->stack_size != default_total) {
#if GORO_VALGRIND
        VALGRIND_STACK_DEREGISTER(g->vg_stack_id);
#endif
#if GORO_ASAN
        __lsan_unregister_root_region(lo + GUARD_BYTES, g->stack_size - GUARD_BYTES);
#endif
        munmap(lo, g->stack_size);
        atomic_fetch_sub_explicit(&nother, 1, memory_order_relaxed);
        g->stack_size = 0;
        return;
    }
    g->stack_size = 0;
    p->stacks[p->nstacks++] = (char *)((uintptr_t)lo | (g->stack_flags & STACK_CANARY));
    if (p->nstacks < GORO_STACK_POOL)
        return;
    /* Over the watermark: the older half goes to the global pool, which
     * keeps GPOOL_HOT stacks' pages; beyond that they go back to the
     * kernel. */
    int n = GORO_STACK_POOL / 2;
    goro__lock_acquire(&pool_lock);
    bool cold = gpool_n >= GPOOL_HOT;
    goro__lock_release(&pool_lock);
    if (cold)
        release_pages(p->stacks, n);
    goro__lock_acquire(&pool_lock);
    if (gpool_n + (size_t)n > gpool_cap) {
        size_t cap = gpool_cap ? gpool_cap * 2 : 1024;
        while (cap < gpool_n + (size_t)n)
            cap *= 2;
        char **ng = goro__realloc_pool(gpool, cap * sizeof *ng);
        if (!ng) {
            goro__lock_release(&pool_lock);
            return;   /* keep them in the P pool; it stays full */
        }
        gpool = ng;
        gpool_cap = cap;
    }
    memcpy(gpool + gpool_n, p->stacks, (size_t)n * sizeof *gpool);
    gpool_n += (size_t)n;
    goro__lock_release(&pool_lock);
    memmove(p->stacks, p->stacks + n, (size_t)(p->nstacks - n) * sizeof *p->stacks);
    p->nstacks -= n;
}

void goro__stack_counts(long *default_in_use, long *other_mapped)
{
    goro__lock_acquire(&pool_lock);
    long n = ncarved - (long)gpool_n;
    goro__lock_release(&pool_lock);
    for (int i = 0; i < GORO_MAX_PROCS; i++) {
        P *p = atomic_load_explicit(&goro__S.allp[i], memory_order_acquire);
        if (p)
            n -= __atomic_load_n(&p->nstacks, __ATOMIC_RELAXED);
    }
    *default_in_use = n;
    *other_mapped = atomic_load_explicit(&nother, memory_order_relaxed);
}

bool goro__stack_canary_ok(const G *g)
{
    return !(g->stack_flags & STACK_CANARY) ||
           *(const uint64_t *)(g->stack_lo + GUARD_BYTES) == CANARY;
}

bool goro__stack_guard_hit(const G *g, const void *addr)
{
    const char *a = addr;
    return g->stack_lo && a >= g->stack_lo && a < g->stack_lo + GUARD_BYTES;
}

_Noreturn void goro__stack_overflow(const G *g)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf,
                     "fatal error: goroutine %llu stack overflow (stack %zu bytes, created at %s:%d)\n\n",
                     (unsigned long long)g->id, g->stack_size - GUARD_BYTES,
                     g->file ? g->file : "?", g->line);
    if (n > 0)
        (void)!write(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    goro__dump_fd(2, g, false);
    abort();
}

void goro__stack_thread_init(M *m)
{
    /* A signal stack set up already (by ASan, which unmaps whatever
     * signal stack the thread has when it ends) is kept. */
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) &&
        cur.ss_size >= 16 * 1024)
        return;
    size_t sz = 64 * 1024;
    m->altstack = goro__malloc_pool(sz);
    if (!m->altstack)
        return;   /* overflows on this thread then die without a report */
    stack_t ss = { .ss_sp = m->altstack, .ss_size = sz, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
}
