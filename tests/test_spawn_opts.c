/* SPDX-License-Identifier: MIT */
/*
 * test_spawn_opts.c: options for the goroutines the runtime starts for the
 * user, and the process-wide default stack size.
 *  - goro_waitgroup_go_opts, goro_errgroup_go_opts and try_go_opts,
 *    goro_after_func_opts and goro_ctx_after_func_opts each run a task that
 *    uses 512 KiB of stack on a 1 MiB stack; a child process shows that the
 *    same task overflows a default stack. Each goroutine's name and the
 *    call site show in goro_dump, and goro_goroutines has the user's
 *    function;
 *  - goro_errgroup_go_copy copies its argument (the caller overwrites its
 *    own at once), inline and past GORO_COPY_INLINE, 16-aligned;
 *  - a stack_size above GORO_STACK_MAX is GORO_EINVAL (NULL for the
 *    after_funcs) in every form, and starts nothing;
 *  - goro_set_default_stack_size: bad sizes are GORO_EINVAL; sizes are
 *    rounded up to pages; plain goro_go and goro_waitgroup_go goroutines
 *    started afterwards get the new size (the 512 KiB task runs at 1 MiB),
 *    ones started before keep theirs; after a change, no goroutine gets a
 *    pooled stack of the old default (each checks its size and uses most
 *    of it), also while a thread changes the default over and over as
 *    goroutines come and go; no stack is leaked (goro__stack_counts);
 *  - GOROSTACKSIZE, in child processes: 256k, 1M, 100000 (rounded up) and
 *    0 give that default; malformed values abort at start-up naming the
 *    variable.
 */
// ctest-labels: stack
// (Not "sched": its children re-execute the program, which qemu-user
// without binfmt_misc cannot do, so the AArch64 step leaves it out.)
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#define GORO_SCHED_INTERNAL   /* white-box: the scheduler's private header */
#include "sched/runtime.h"   /* first: testutil.h's internal helpers */
#include "child.h"
#include "testutil.h"

#define KIB ((size_t)1024)
#define BIG_STACK (1024 * KIB)   /* what the _opts forms ask for */
#define USE_KIB 512              /* what their tasks use */

static _Atomic int sink;   /* keeps deep_frames' result (written by many goroutines) */

/* The calling goroutine's usable stack size. */
static size_t my_stack(void)
{
    char *lo;
    size_t size;
    goro__stack_usable(goro__getg(), &lo, &size);
    /* mapped throughout (mincore fails with ENOMEM on a hole) */
    size_t pages = size / (size_t)sysconf(_SC_PAGESIZE);
    unsigned char vec[1024];
    CHECK(pages <= sizeof vec && mincore(lo, size, vec) == 0);
    return size;
}

static size_t page_round(size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (n + pg - 1) / pg * pg;
}

/* ---- the _opts forms ---- */

static goro_chan *hold;   /* closed once the dump is checked */

static void big_task(void)
{
    CHECK_EQ(my_stack(), BIG_STACK);
    sink = (int)deep_frames(USE_KIB, NULL);
    goro_chan_recv(hold, NULL);
}

static void wg_fn(void *arg) { (void)arg; big_task(); }
static int eg_fn(void *arg) { (void)arg; big_task(); return 0; }
static int eg_try_fn(void *arg) { (void)arg; big_task(); return 0; }
static void after_fn(void *arg) { (void)arg; big_task(); }
static void ctx_after_fn(void *arg) { (void)arg; big_task(); }

enum { K_WG, K_EG, K_EG_TRY, K_AFTER, K_CTX_AFTER, K_N };
static const char *const names[K_N] = { "wg-big", "eg-big", "eg-try-big", "after-big",
                                        "ctx-after-big" };

/* The dump has an entry named name, created at this file's line. */
static void check_dump_entry(const char *dump, const char *name, int line)
{
    char want[128], site[256];
    snprintf(want, sizeof want, "\tname: %s\n", name);
    snprintf(site, sizeof site, "created by %s:%d\n", __FILE__, line);
    const char *p = strstr(dump, want);
    const char *end = p ? strstr(p, "\n\n") : NULL;
    const char *s = p ? strstr(p, site) : NULL;
    if (!s || (end && s > end)) {
        fprintf(stderr, "no entry named %s created at line %d in:\n%s\n", name, line, dump);
        CHECK(0);
    }
}

static void opts_forms(void *arg)
{
    (void)arg;
    hold = goro_chan_make(0, 0);
    static goro_waitgroup wg;
    goro_errgroup *g = goro_errgroup_new(NULL);
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    CHECK(hold && g && ctx);
    goro_opts o[K_N];
    for (int k = 0; k < K_N; k++)
        o[k] = (goro_opts){ .name = names[k], .stack_size = BIG_STACK };
    int sl[K_N];
    sl[K_WG] = __LINE__; CHECK(goro_waitgroup_go_opts(&wg, &o[K_WG], wg_fn, NULL) == 0);
    sl[K_EG] = __LINE__; CHECK(goro_errgroup_go_opts(g, &o[K_EG], eg_fn, NULL) == 0);
    sl[K_EG_TRY] = __LINE__; CHECK(goro_errgroup_try_go_opts(g, &o[K_EG_TRY], eg_try_fn, NULL) == 0);
    sl[K_AFTER] = __LINE__; goro_timer *t = goro_after_func_opts(0, &o[K_AFTER], after_fn, NULL);
    goro_ctx_after *h;
    sl[K_CTX_AFTER] = __LINE__; h = goro_ctx_after_func_opts(ctx, &o[K_CTX_AFTER], ctx_after_fn, NULL);
    CHECK(t && h);
    /* The options are read at the call. */
    memset(o, 0, sizeof o);
    goro_ctx_cancel(ctx);
    void (*fns[K_N])(void) = { (void (*)(void))wg_fn, (void (*)(void))eg_fn,
                               (void (*)(void))eg_try_fn, (void (*)(void))after_fn,
                               (void (*)(void))ctx_after_fn };
    goro_ginfo gi[64];
    int n = wait_parked_on(gi, 64, hold, K_N);
    char *dump = dump_string();
    for (int k = 0; k < K_N; k++) {
        int i = 0;
        while (i < n && !(gi[i].name && !strcmp(gi[i].name, names[k])))
            i++;
        CHECK(i < n);
        CHECK(gi[i].fn == fns[k]);
        CHECK_EQ(gi[i].line, sl[k]);
        check_dump_entry(dump, names[k], sl[k]);
    }
    free(dump);
    goro_chan_close(hold);
    end_spawners(&wg, g, t, h, ctx);
    goro_chan_release(hold);
}

/* ---- errgroup copy ---- */

typedef struct small_arg { int v; } small_arg;
typedef struct big_arg { unsigned char b[GORO_COPY_INLINE + 100]; } big_arg;

static int copy_small(void *arg)
{
    CHECK((uintptr_t)arg % 16 == 0);
    return ((small_arg *)arg)->v == 7 ? 0 : 1;
}

static int copy_big(void *arg)
{
    CHECK((uintptr_t)arg % 16 == 0);
    const big_arg *a = arg;
    for (size_t i = 0; i < sizeof a->b; i++)
        if (a->b[i] != (unsigned char)i)
            return 2;
    return 0;
}

static int copy_null(void *arg)
{
    return arg == NULL ? 0 : 3;
}

static void errgroup_copy(void *unused)
{
    (void)unused;
    goro_errgroup *g = goro_errgroup_new(NULL);
    CHECK(g);
    CHECK(goro_errgroup_set_limit(g, 4) == 0);
    for (int i = 0; i < 50; i++) {
        small_arg a = { 7 };
        CHECK(goro_errgroup_go_copy(g, copy_small, &a, sizeof a) == 0);
        a.v = -1;   /* the task has its own copy */
        big_arg b;
        for (size_t j = 0; j < sizeof b.b; j++)
            b.b[j] = (unsigned char)j;
        CHECK(goro_errgroup_go_copy(g, copy_big, &b, sizeof b) == 0);
        memset(&b, 0xff, sizeof b);
    }
    CHECK(goro_errgroup_go_copy(g, copy_null, NULL, 0) == 0);
    CHECK(goro_errgroup_go_copy(g, copy_small, NULL, 4) == GORO_EINVAL);
    CHECK(goro_errgroup_go_copy(NULL, copy_small, &(small_arg){ 7 }, 4) == GORO_EINVAL);
    CHECK(goro_errgroup_go_copy(g, NULL, &(small_arg){ 7 }, 4) == GORO_EINVAL);
    CHECK_EQ(goro_errgroup_wait(g), 0);
    goro_errgroup_free(g);
}

/* ---- bad stack sizes start nothing ---- */

static void never(void *arg) { (void)arg; CHECK(!"started"); }
static int never_task(void *arg) { never(arg); return 0; }

static void bad_sizes(void *unused)
{
    (void)unused;
    while (goro_num_goroutine() > 1)   /* the earlier tests' goroutines are ending */
        goro_sleep(GORO_MILLISECOND);
    goro_opts bad[2] = { { "bad", GORO_STACK_MAX + 1 }, { "bad", SIZE_MAX } };
    goro_waitgroup wg = {0};
    goro_errgroup *g = goro_errgroup_new(NULL);
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    CHECK(g && ctx);
    goro_ctx_cancel(ctx);
    for (int i = 0; i < 2; i++) {
        CHECK(goro_go_opts(&bad[i], never, NULL) == GORO_EINVAL);
        CHECK(goro_waitgroup_go_opts(&wg, &bad[i], never, NULL) == GORO_EINVAL);
        CHECK(goro_errgroup_go_opts(g, &bad[i], never_task, NULL) == GORO_EINVAL);
        CHECK(goro_errgroup_try_go_opts(g, &bad[i], never_task, NULL) == GORO_EINVAL);
        CHECK(goro_after_func_opts(0, &bad[i], never, NULL) == NULL);
        CHECK(goro_ctx_after_func_opts(ctx, &bad[i], never, NULL) == NULL);
    }
    CHECK(goro_waitgroup_wait_until(&wg, goro_now()) == 0);   /* counter untouched */
    CHECK(goro_errgroup_set_limit(g, 1) == 0);                /* no task counted active */
    goro_sleep(10 * GORO_MILLISECOND);
    CHECK_EQ(goro_num_goroutine(), 1);
    CHECK_EQ(goro_errgroup_wait(g), 0);
    goro_errgroup_free(g);
    goro_ctx_release(ctx);
}

/* ---- the default stack size ---- */

static goro_waitgroup dwg;
static _Atomic size_t want;   /* the size the next batch must get */

static void sized(void *arg)
{
    (void)arg;
    size_t got = my_stack();
    CHECK_EQ(got, atomic_load(&want));
    sink = (int)deep_frames((int)(got / KIB * 3 / 4), NULL);
}

static void sized_go(void *arg)
{
    sized(arg);
    goro_waitgroup_done(&dwg);
}

static void batch(size_t dflt)
{
    CHECK(goro_set_default_stack_size(dflt) == 0);
    CHECK_EQ(goro_default_stack_size(), dflt);
    atomic_store(&want, dflt);
    for (int i = 0; i < 200; i++)
        CHECK(goro_waitgroup_go(&dwg, sized, NULL) == 0);
    goro_waitgroup_wait(&dwg);
}

/* Goroutines started before a change keep their size, and their stacks,
 * pooled ones of the old default, do not go back to a pool. */
static goro_chan *span_hold;

static void spanning(void *arg)
{
    (void)arg;
    CHECK_EQ(my_stack(), GORO_STACK_DEFAULT);
    goro_chan_recv(span_hold, NULL);
    sink = (int)deep_frames((int)(GORO_STACK_DEFAULT / KIB * 3 / 4), NULL);
}

static void change_under_goroutines(void *arg)
{
    (void)arg;
    goro_waitgroup wg = {0};
    span_hold = goro_chan_make(0, 0);
    CHECK(span_hold);
    CHECK(goro_set_default_stack_size(0) == 0);
    for (int i = 0; i < 8; i++)
        CHECK(goro_waitgroup_go(&wg, spanning, NULL) == 0);   /* queued, not run yet */
    CHECK(goro_set_default_stack_size(256 * KIB) == 0);
    batch(256 * KIB);
    goro_chan_close(span_hold);
    goro_waitgroup_wait(&wg);
    batch(256 * KIB);
    goro_chan_release(span_hold);
}

/* A plain thread flips the default while goroutines come and go. */
static _Atomic int flipping;
static const size_t flip_sizes[3] = { 64 * KIB, 128 * KIB, 256 * KIB };

static void *flipper(void *arg)
{
    (void)arg;
    for (unsigned i = 0; atomic_load(&flipping); i++) {
        CHECK(goro_set_default_stack_size(flip_sizes[i % 3]) == 0);
        usleep(200);
    }
    return NULL;
}

static void flipped(void *arg)
{
    (void)arg;
    size_t got = my_stack();
    CHECK(got == flip_sizes[0] || got == flip_sizes[1] || got == flip_sizes[2]);
    sink = (int)deep_frames((int)(got / KIB * 3 / 4), NULL);
}

static void spawn_flipped(void *arg)
{
    (void)arg;
    long n = scaled(10000, 10);
    for (long i = 0; i < n; i++)
        CHECK(goro_waitgroup_go(&dwg, flipped, NULL) == 0);
    goro_waitgroup_wait(&dwg);
}

static void default_size(void)
{
    CHECK_EQ(goro_default_stack_size(), GORO_STACK_DEFAULT);

    CHECK(goro_set_default_stack_size(GORO_STACK_MAX + 1) == GORO_EINVAL);
    CHECK(goro_set_default_stack_size(SIZE_MAX) == GORO_EINVAL);
    CHECK_EQ(goro_default_stack_size(), GORO_STACK_DEFAULT);
    CHECK(goro_set_default_stack_size(1) == 0);
    CHECK_EQ(goro_default_stack_size(), page_round(1));
    CHECK(goro_set_default_stack_size(100 * KIB + 1) == 0);
    CHECK_EQ(goro_default_stack_size(), page_round(100 * KIB + 1));
    CHECK(goro_set_default_stack_size(0) == 0);
    CHECK_EQ(goro_default_stack_size(), GORO_STACK_DEFAULT);

    /* Plain spawns follow the default: the 512 KiB task fits at 1 MiB. */
    batch(GORO_STACK_DEFAULT);
    CHECK(goro_set_default_stack_size(BIG_STACK) == 0);
    atomic_store(&want, BIG_STACK);
    for (int i = 0; i < 20; i++) {
        goro_waitgroup_add(&dwg, 1);
        CHECK(goro_go(sized_go, NULL) == 0);
        CHECK(goro_waitgroup_go(&dwg, sized, NULL) == 0);
    }
    goro_waitgroup_wait(&dwg);

    /* Pools full of one size never serve another. */
    for (int round = 0; round < 3; round++) {
        batch(GORO_STACK_DEFAULT);
        batch(256 * KIB);
        batch(128 * KIB);
    }
    run_main(change_under_goroutines, NULL);

    pthread_t th;
    atomic_store(&flipping, 1);
    CHECK(pthread_create(&th, NULL, flipper, NULL) == 0);
    run_main(spawn_flipped, NULL);
    atomic_store(&flipping, 0);
    pthread_join(th, NULL);

    CHECK(goro_set_default_stack_size(0) == 0);
    batch(GORO_STACK_DEFAULT);
    check_no_stack_in_use();
}

/* ---- child processes ---- */

/* Runs this program's "default" mode with GOROSTACKSIZE=value: c holds
 * its output; returns its wait status. */
static int child_with_size(child *c, const char *value)
{
    char env[128];
    snprintf(env, sizeof env, "GOROSTACKSIZE=%s", value);
    const char *args[] = { "default", NULL }, *envs[] = { env, NULL };
    child_start(c, args, envs);
    return child_finish(c);
}

static void child_prints_default(const char *value, size_t expect)
{
    child c;
    char line[64];
    int st = child_with_size(&c, value);
    snprintf(line, sizeof line, "default %zu\n", expect);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !strstr(c.out, line)) {
        fprintf(stderr, "GOROSTACKSIZE=%s: status %#x, expected \"%s\", output:\n%s\n",
                value, st, line, c.out);
        CHECK(0);
    }
}

static void child_rejects(const char *value)
{
    child c;
    char echo[256];
    int st = child_with_size(&c, value);
    snprintf(echo, sizeof echo, "GOROSTACKSIZE=%s\nfatal error: malformed GOROSTACKSIZE", value);
    if (!WIFSIGNALED(st) || strstr(c.out, "default ") || !strstr(c.out, echo)) {
        fprintf(stderr, "GOROSTACKSIZE=%s: status %#x, output:\n%s\n", value, st, c.out);
        CHECK(0);
    }
}

/* The _opts forms' task overflows a default stack. */
static void child_overflows(void)
{
    const char *args[] = { "overflow", NULL };
    child c;
    child_start(&c, args, NULL);
    int st = child_finish(&c);
    if (WIFEXITED(st) || !strstr(c.out, "stack overflow")) {
        fprintf(stderr, "status %#x, output:\n%s\n", st, c.out);
        CHECK(0);
    }
}

static void overflow_fn(void *arg)
{
    (void)arg;
    sink = (int)deep_frames(USE_KIB, NULL);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "default")) {
        printf("default %zu\n", goro_default_stack_size());
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "overflow")) {
        run_main(overflow_fn, NULL);
        return 0;   /* not reached when the stack overflows */
    }

    run_main(opts_forms, NULL);
    run_main(errgroup_copy, NULL);
    run_main(bad_sizes, NULL);
    default_size();

    child_prints_default("256k", 256 * KIB);
    child_prints_default("1M", 1024 * KIB);
    child_prints_default("100000", page_round(100000));
    child_prints_default("0", GORO_STACK_DEFAULT);
    child_prints_default("1g", GORO_STACK_MAX);
    const char *bad[] = { "abc", "64q", "1k5", "-1", " 64k", "2g", "1073741825",
                          "99999999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        child_rejects(bad[i]);
    if (!getenv("GORO_TEST_SLOW"))   /* sanitizers own SIGSEGV themselves */
        child_overflows();
    TEST_PASS("test_spawn_opts");
}
