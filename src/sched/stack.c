/* SPDX-License-Identifier: MIT */
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
 * GORO_STACK_POOL spills half to a global pool, which keeps their pages:
 * a goroutine's exit makes no system call, and a stack reused after a
 * burst of goroutines costs no page fault and no zeroing (as Go's dead Gs
 * keep their stacks until the GC frees them). The pages beyond GPOOL_HOT
 * stacks' are given back in the background: sysmon's scavenger
 * (goro__stack_scavenge), once the global pool has been left alone for
 * SCAV_IDLE_NS (at once beyond SCAV_FORCE), moves them in chunks to a
 * second pool, `cpool`, after MADV_DONTNEED on them (one call per run of
 * adjacent stacks, so RSS drops at once; reuse then faults their pages
 * in). Giving them back on the exit path (MADV_FREE, as before) made the
 * kernel walk every stack's guard region as goroutines ended: two thirds
 * of the release of 100,000 parked goroutines. Other sizes get
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
 *
 * The default size (GOROSTACKSIZE, goro_set_default_stack_size) may change
 * while goroutines run; the pools then hold stacks of the old default. A
 * goroutine asks for a size (newproc resolves the default when it starts)
 * and gets a stack of exactly that size: a pooled one only when the size is
 * the default. The slab and the global pool always hold stacks of the
 * current default (the change empties them under pool_lock); each P's pool
 * records its stacks' size (`stacks_total`), and a P finding it is not the
 * default frees them. So does the end of a goroutine whose pooled stack is
 * an old default's. Each stack knows whether it is pooled (STACK_OWN is
 * the other kind), never by comparing sizes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sched/runtime.h"
#include "base/san.h"
#if GORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif
#if GORO_VALGRIND
#include <valgrind/valgrind.h>
#endif

#define SLAB_STACKS 256
#define GUARD_BYTES ((size_t)1 << 20)   /* below every stack; a multiple of any page size */
#define GPOOL_HOT 16384           /* global pool stacks that keep their pages (64+ MiB) */
#define SCAV_IDLE_NS (100 * 1000 * 1000)   /* pool untouched this long: give pages back */
#define SCAV_FORCE 262144         /* this many beyond GPOOL_HOT: give back without waiting */
#define SCAV_CHUNK 1024           /* stacks per scavenging step (pool_lock dropped between) */
#define GUARD_MPROTECT_MAX 16384
#define CANARY 0x676f726f63616e79ull   /* "gorocany" */

enum {
    STACK_CANARY = 1,             /* unguarded: check the canary instead */
    STACK_OWN = 2,                /* a mapping of its own, unmapped at the end (not pooled) */
};

enum { GUARD_MADVISE, GUARD_MPROTECT };

static size_t page_size;
/* GUARD_BYTES + the default size: the size of the slab's and the global pool's
 * stacks. Written under pool_lock; read anywhere (relaxed: a stale value
 * only sends a goroutine to the slower path; every stack's size is its
 * own). */
static _Atomic size_t default_total;
static int guard_mode;

/* Slab carving and the global pool (pool_lock). */
static goro__lock pool_lock = GORO_LOCK_INIT(STACKPOOL);
static char *slab_cur, *slab_end;
static long nguarded;             /* mprotect guards installed */
static char **gpool;              /* pages kept (dirty): reused first */
static size_t gpool_n, gpool_cap;
static char **cpool;              /* pages given back by the scavenger */
static size_t cpool_n, cpool_cap;
static size_t nscav;              /* taken out by the scavenger, being given back */
static long ncarved;              /* pooled stacks carved and not freed (pool_lock) */
/* Lock-free hints for the scavenger (sysmon): gpool_n, and a count of
 * takes from and spills to the global pool (its activity). */
static _Atomic size_t gpool_hint;
static _Atomic uint64_t gpool_ops;
static _Atomic long nother;       /* STACK_OWN stacks mapped */

/* ---- the default size ---- */

bool goro__stack_size_ok(size_t size)
{
    return size <= GORO_STACK_MAX;
}

/* The whole mapping for `size` usable bytes (0: GORO_STACK_DEFAULT). */
static size_t total_for(size_t size)
{
    if (size == 0)
        size = GORO_STACK_DEFAULT;
    return GUARD_BYTES + ((size + page_size - 1) & ~(page_size - 1));
}

size_t goro__stack_default(void)
{
    return atomic_load_explicit(&default_total, memory_order_relaxed) - GUARD_BYTES;
}

size_t goro_default_stack_size(void)
{
    goro__init();
    return goro__stack_default();
}

/* GOROSTACKSIZE: bytes, or KiB, MiB, GiB with a k, m or g suffix. */
static bool parse_size(const char *s, size_t *size)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    }
    if (errno || *end || v > (GORO_STACK_MAX >> shift))
        return false;
    *size = (size_t)v << shift;
    return true;
}

void goro__stack_init(void)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = GORO_STACK_DEFAULT;
    const char *env = getenv("GOROSTACKSIZE");
    if (env && *env && !parse_size(env, &size)) {
        /* Go's answer to a malformed GOMEMLIMIT, the other byte count */
        fprintf(stderr, "GOROSTACKSIZE=%s\nfatal error: malformed GOROSTACKSIZE "
                "(bytes, or with a k, m or g suffix; at most 1g)\n", env);
        abort();
    }
    atomic_store_explicit(&default_total, total_for(size), memory_order_relaxed);
    guard_mode = GUARD_MPROTECT;
    const char *force = getenv("GORO_STACK_GUARD");
    if (force && strcmp(force, "mprotect") == 0)
        return;
#if GORO_VALGRIND
    /* Valgrind does not know the guard-region advice: it would take the
     * guards for readable memory, and its leak check at exit would fault
     * through every page of them (minutes for a few thousand stacks). */
    if (RUNNING_ON_VALGRIND)
        return;
#endif
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

/* A new default stack (of `total` bytes, the default) from the slab
 * (pool_lock held). When a new slab cannot be mapped, a mapping of one
 * stack is tried before giving up (pooled like the others). */
static char *slab_carve(size_t total, uint16_t *flags)
{
    GORO_ASSERT_HELD(&pool_lock);
    char *lo;
    if ((size_t)(slab_end - slab_cur) >= total) {
        lo = slab_cur;
        slab_cur += total;
    } else {
        const int mf = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK;
        size_t len = total * SLAB_STACKS;
        void *s = goro__mmap(NULL, len, PROT_READ | PROT_WRITE, mf, -1, 0);
        if (s != MAP_FAILED) {
            goro__madvise(s, len, MADV_NOHUGEPAGE);   /* a failure is harmless */
            slab_cur = s;
            slab_end = slab_cur + len;
            lo = slab_cur;
            slab_cur += total;
        } else {
            s = goro__mmap(NULL, total, PROT_READ | PROT_WRITE, mf, -1, 0);
            if (s == MAP_FAILED)
                return NULL;
            lo = s;
        }
    }
    ncarved++;
    *flags = (uint16_t)guard_install(lo, true);
    stack_register(lo, total, NULL);
    return lo;
}

/* Unmaps n pooled stacks of `total` bytes (pool entries) that are not of
 * the default size any more, and uncounts them. */
static void stacks_free(char **stacks, size_t n, size_t total)
{
    if (n == 0)
        return;
    long guarded = 0;   /* mprotect guards gone with them */
    for (size_t i = 0; i < n; i++) {
        bool canary = (uintptr_t)stacks[i] & STACK_CANARY;
        char *lo = (char *)((uintptr_t)stacks[i] & ~(uintptr_t)STACK_CANARY);
#if GORO_ASAN
        __lsan_unregister_root_region(lo + GUARD_BYTES, total - GUARD_BYTES);
#endif
        munmap(lo, total);
        guarded += !canary && guard_mode == GUARD_MPROTECT;
    }
    goro__lock_acquire(&pool_lock);
    ncarved -= (long)n;
    nguarded -= guarded;
    goro__lock_release(&pool_lock);
}

/* Makes p's pool one of stacks of `total` bytes, freeing those of another
 * size (an old default's). */
static void pool_resize(P *p, size_t total)
{
    if (p->stacks_total == total)
        return;
    stacks_free(p->stacks, (size_t)p->nstacks, p->stacks_total);
    p->nstacks = 0;
    p->stacks_total = total;
}

int goro_set_default_stack_size(size_t size)
{
    SAN_RUNTIME_SCOPE;
    if (!goro__stack_size_ok(size))
        return GORO_EINVAL;
    goro__init();
    size_t total = total_for(size);
    goro__lock_acquire(&pool_lock);
    size_t old = atomic_load_explicit(&default_total, memory_order_relaxed);
    if (total == old) {
        goro__lock_release(&pool_lock);
        return 0;
    }
    atomic_store_explicit(&default_total, total, memory_order_relaxed);
    /* The old default's stacks leave the slab and the global pools (the
     * scavenger frees those it holds when it finds the default changed). */
    char **pool = gpool, **cold = cpool, *rest = slab_cur;
    size_t n = gpool_n, ncold = cpool_n, restlen = (size_t)(slab_end - slab_cur);
    gpool = cpool = NULL;
    gpool_n = gpool_cap = cpool_n = cpool_cap = 0;
    atomic_store_explicit(&gpool_hint, 0, memory_order_relaxed);
    slab_cur = slab_end = NULL;
    goro__lock_release(&pool_lock);
    if (restlen)
        munmap(rest, restlen);
    stacks_free(pool, n, old);
    stacks_free(cold, ncold, old);
    free(pool);
    free(cold);
    return 0;
}

/* g's stack starts with clean ASan shadow: a pooled stack keeps the
 * poisoned redzones of its last goroutine's frames that never returned
 * (it ended by switching away), and fresh memory may lie where a thread's
 * stack was unmapped with its shadow still poisoned; either made the new
 * context's first write (goro__ctx_make) a false stack-buffer-overflow. */
static void attached(G *g, char *lo, size_t total, uint16_t flags)
{
    g->stack_lo = lo;
    g->stack_size = total;
    g->stack_flags = flags;
#if GORO_ASAN
    __asan_unpoison_memory_region(lo + GUARD_BYTES, total - GUARD_BYTES);
#endif
}

int goro__stack_attach(P *p, G *g)
{
    size_t total = total_for(g->stack_size);
    if (total == atomic_load_explicit(&default_total, memory_order_relaxed)) {
        pool_resize(p, total);
        char *lo = NULL;
        uint16_t flags = 0;
        if (p->nstacks > 0) {
            lo = p->stacks[--p->nstacks];
        } else {
            goro__lock_acquire(&pool_lock);
            if (atomic_load_explicit(&default_total, memory_order_relaxed) != total) {
                goro__lock_release(&pool_lock);
                goto own;   /* the default changed since it was read */
            }
            if (gpool_n > 0) {
                while (gpool_n > 0 && p->nstacks < GORO_STACK_POOL / 2)
                    p->stacks[p->nstacks++] = gpool[--gpool_n];
                atomic_store_explicit(&gpool_hint, gpool_n, memory_order_relaxed);
                atomic_fetch_add_explicit(&gpool_ops, 1, memory_order_relaxed);
            } else {
                while (cpool_n > 0 && p->nstacks < GORO_STACK_POOL / 2)
                    p->stacks[p->nstacks++] = cpool[--cpool_n];
            }
            if (p->nstacks > 0)
                lo = p->stacks[--p->nstacks];
            else
                lo = slab_carve(total, &flags);
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
        attached(g, lo, total, flags);
        if (flags & STACK_CANARY)
            *(uint64_t *)(lo + GUARD_BYTES) = CANARY;
        return 0;
    }
own:;
    void *s = goro__mmap(NULL, total, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (s == MAP_FAILED)
        return GORO_ENOMEM;
    atomic_fetch_add_explicit(&nother, 1, memory_order_relaxed);
    attached(g, s, total, (uint16_t)(guard_install(s, false) | STACK_OWN));
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

/* MADV_DONTNEED on the usable part of n pooled stacks of `total` bytes
 * (pool entries), one call per run of adjacent stacks: guard regions keep
 * their protection through it (guard markers and PROT_NONE alike). Sorts
 * the entries. */
static void release_pages(char **stacks, int n, size_t total)
{
    qsort(stacks, (size_t)n, sizeof *stacks, cmp_addr);
    for (int i = 0; i < n;) {
        char *lo = (char *)((uintptr_t)stacks[i] & ~(uintptr_t)STACK_CANARY);
        char *hi = lo + total;
        int j = i + 1;
        while (j < n && (char *)((uintptr_t)stacks[j] & ~(uintptr_t)STACK_CANARY) == hi) {
            hi += total;
            j++;
        }
        goro__madvise(lo + GUARD_BYTES, (size_t)(hi - lo) - GUARD_BYTES, MADV_DONTNEED);   /* harmless if it fails */
        i = j;
    }
}

void goro__stack_release(P *p, G *g)
{
    char *lo = g->stack_lo;
    if (!lo)
        return;
    g->stack_lo = NULL;
    if (g->stack_flags & STACK_OWN) {
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
    size_t total = g->stack_size;
    g->stack_size = 0;
    char *entry = (char *)((uintptr_t)lo | (g->stack_flags & STACK_CANARY));
    if (total != atomic_load_explicit(&default_total, memory_order_relaxed)) {
        stacks_free(&entry, 1, total);   /* an old default's */
        return;
    }
    pool_resize(p, total);
    p->stacks[p->nstacks++] = entry;
    if (p->nstacks < GORO_STACK_POOL)
        return;
    /* Over the watermark: the older half goes to the global pool, pages
     * and all (the scavenger gives back what stays there unused). */
    int n = GORO_STACK_POOL / 2;
    goro__lock_acquire(&pool_lock);
    if (atomic_load_explicit(&default_total, memory_order_relaxed) != total) {
        goro__lock_release(&pool_lock);   /* the default changed meanwhile */
        pool_resize(p, atomic_load_explicit(&default_total, memory_order_relaxed));
        return;
    }
    if (gpool_n + (size_t)n > gpool_cap) {
        size_t cap = gpool_cap ? gpool_cap * 2 : 1024;
        while (cap < gpool_n + (size_t)n)
            cap *= 2;
        char **ng = goro__realloc_pool(gpool, cap * sizeof *ng);
        if (ng) {
            gpool = ng;
            gpool_cap = cap;
        }
    }
    if (gpool_n + (size_t)n <= gpool_cap) {
        memcpy(gpool + gpool_n, p->stacks, (size_t)n * sizeof *gpool);
        gpool_n += (size_t)n;
        atomic_store_explicit(&gpool_hint, gpool_n, memory_order_relaxed);
        atomic_fetch_add_explicit(&gpool_ops, 1, memory_order_relaxed);
        goro__lock_release(&pool_lock);
    } else {
        /* No room for them (the array could not grow): back to the
         * kernel, for the P pool must drop below its watermark either way
         * (the next release stores at p->stacks[p->nstacks]). */
        goro__lock_release(&pool_lock);
        stacks_free(p->stacks, (size_t)n, total);
    }
    memmove(p->stacks, p->stacks + n, (size_t)(p->nstacks - n) * sizeof *p->stacks);
    p->nstacks -= n;
}

void goro__stack_counts(long *default_in_use, long *other_mapped)
{
    goro__lock_acquire(&pool_lock);
    long n = ncarved - (long)(gpool_n + cpool_n + nscav);
    goro__lock_release(&pool_lock);
    GORO_FOR_EACH_P(p)
        n -= __atomic_load_n(&p->nstacks, __ATOMIC_RELAXED);
    *default_in_use = n;
    *other_mapped = atomic_load_explicit(&nother, memory_order_relaxed);
}

/* Appends n entries to the pool of given-back stacks, or frees them if
 * the array cannot grow (pool_lock held). Returns false in that case, for
 * the caller to free them once the lock is dropped. */
static bool cpool_put(char **stacks, size_t n)
{
    GORO_ASSERT_HELD(&pool_lock);
    if (cpool_n + n > cpool_cap) {
        size_t cap = cpool_cap ? cpool_cap * 2 : 1024;
        while (cap < cpool_n + n)
            cap *= 2;
        char **nc = goro__realloc_pool(cpool, cap * sizeof *nc);
        if (!nc)
            return false;
        cpool = nc;
        cpool_cap = cap;
    }
    memcpy(cpool + cpool_n, stacks, n * sizeof *cpool);
    cpool_n += n;
    return true;
}

/* GPOOL_HOT and SCAV_IDLE_NS, which tests may change. */
static _Atomic size_t scav_hot = GPOOL_HOT;
static _Atomic int64_t scav_idle_ns = SCAV_IDLE_NS;

/* A sysmon asleep for good under the old values (nothing to give back)
 * is woken to apply the new ones. */
void goro__stack_scavenge_tune(size_t hot, int64_t idle_ns)
{
    atomic_store_explicit(&scav_hot, hot, memory_order_relaxed);
    atomic_store_explicit(&scav_idle_ns, idle_ns, memory_order_relaxed);
    goro__lock_acquire(&goro__S.lock);
    goro__sysmon_wake();
    goro__lock_release(&goro__S.lock);
}

/* sysmon only: its view of the global pool's activity. */
static uint64_t scav_seen_ops;
static int64_t scav_quiet_since;
static char *scav_buf[SCAV_CHUNK];

int64_t goro__stack_scavenge(int64_t now)
{
    size_t n = atomic_load_explicit(&gpool_hint, memory_order_relaxed);
    size_t hot = atomic_load_explicit(&scav_hot, memory_order_relaxed);
    int64_t idle_ns = atomic_load_explicit(&scav_idle_ns, memory_order_relaxed);
    if (n <= hot)
        return 0;
    uint64_t ops = atomic_load_explicit(&gpool_ops, memory_order_relaxed);
    if (ops != scav_seen_ops) {
        scav_seen_ops = ops;
        scav_quiet_since = now;
    }
    if (n - hot < SCAV_FORCE && now - scav_quiet_since < idle_ns)   /* saturates */
        return idle_ns > INT64_MAX - scav_quiet_since ? INT64_MAX : scav_quiet_since + idle_ns;
    /* One chunk from the top of the pool; while the scavenger holds it,
     * nobody else can hand those stacks out. */
    goro__lock_acquire(&pool_lock);
    size_t total = atomic_load_explicit(&default_total, memory_order_relaxed);
    size_t k = gpool_n > hot ? gpool_n - hot : 0;
    if (k > SCAV_CHUNK)
        k = SCAV_CHUNK;
    gpool_n -= k;
    memcpy(scav_buf, gpool + gpool_n, k * sizeof *gpool);
    nscav = k;
    atomic_store_explicit(&gpool_hint, gpool_n, memory_order_relaxed);
    goro__lock_release(&pool_lock);
    if (k == 0)
        return 0;
    release_pages(scav_buf, (int)k, total);
    goro__lock_acquire(&pool_lock);
    nscav = 0;
    bool kept = atomic_load_explicit(&default_total, memory_order_relaxed) == total &&
                cpool_put(scav_buf, k);
    size_t left = gpool_n;
    goro__lock_release(&pool_lock);
    if (!kept)
        stacks_free(scav_buf, k, total);   /* an old default's, or no room */
    return left > hot ? now : 0;
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
