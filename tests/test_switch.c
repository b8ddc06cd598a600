/* SPDX-License-Identifier: MIT */
/*
 * test_switch.c: the context-switch contract of src/sched/arch/arch.h on its own,
 * with no runtime: a ping-pong of a million switches with a counter check,
 * callee-saved registers (C values kept live at -O2, and every register
 * checked directly from assembly), per-context floating-point control words
 * (rounding mode: MXCSR/x87 on x86-64, FPCR on AArch64), and 1000 contexts
 * on malloc'd stacks going round-robin. Exits 0 on success; on failure
 * prints the reason and exits 1. GORO_TEST_SLOW=1 scales the loops down.
 */
// ctest-labels: arch
#include <fenv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sched/arch/arch.h"

/* ---- Sanitizer and Valgrind annotations, as the runtime does them ------- */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define T_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(T_ASAN)
#define T_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(T_TSAN)
#define T_TSAN 1
#endif
#ifdef T_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef T_TSAN
#include <sanitizer/tsan_interface.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define T_VALGRIND 1
#endif
#endif

#define FAIL(...)                                                         \
    do {                                                                  \
        fprintf(stderr, "test_switch.c:%d: FAIL: ", __LINE__);            \
        fprintf(stderr, __VA_ARGS__);                                     \
        fputc('\n', stderr);                                              \
        exit(1);                                                          \
    } while (0)

#define STACK_SIZE ((size_t)64 * 1024)

typedef struct ctx {
    void *sp;           /* saved context: goro__ctx_switch's *from / `to` */
    char *stack;        /* lowest byte of the stack (malloc'd, or main's) */
    size_t size;
    int id;
    void *fake;         /* ASan fake-stack handle while parked */
    void *fiber;        /* TSan fiber */
    unsigned vg;        /* Valgrind stack id */
} ctx;

static ctx main_ctx;
static ctx *running = &main_ctx;

static void ctx_init(ctx *c, int id, void (*entry)(void))
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->size = STACK_SIZE;
    c->stack = malloc(c->size);
    if (!c->stack)
        FAIL("out of memory for a stack");
    c->sp = goro__ctx_make(c->stack, c->size, entry);
#ifdef T_VALGRIND
    c->vg = VALGRIND_STACK_REGISTER(c->stack, c->stack + c->size);
#endif
#ifdef T_TSAN
    c->fiber = __tsan_create_fiber(0);
#endif
}

static void ctx_free(ctx *c)
{
#ifdef T_VALGRIND
    VALGRIND_STACK_DEREGISTER(c->vg);
#endif
#ifdef T_TSAN
    __tsan_destroy_fiber(c->fiber);
#endif
    free(c->stack);
    c->stack = NULL;
}

static void main_ctx_init(void)
{
#ifdef T_ASAN
    pthread_attr_t a;
    void *lo;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a) != 0 ||
        pthread_attr_getstack(&a, &lo, &size) != 0)
        FAIL("cannot find the main thread's stack");
    pthread_attr_destroy(&a);
    main_ctx.stack = lo;
    main_ctx.size = size;
#endif
#ifdef T_TSAN
    main_ctx.fiber = __tsan_get_current_fiber();
#endif
}

/* Annotations around a switch; `finished`: `from` will never run again.
 * Always inlined: TSan wants __tsan_switch_to_fiber in the frame that does
 * the switch, or returning from a helper pops the other fiber's frames. */
#define INLINE static inline __attribute__((always_inline))

INLINE void before_switch(ctx *from, ctx *to, int finished)
{
#ifdef T_ASAN
    __sanitizer_start_switch_fiber(finished ? NULL : &from->fake, to->stack, to->size);
#else
    (void)from, (void)finished;
#endif
#ifdef T_TSAN
    __tsan_switch_to_fiber(to->fiber, 0);
#endif
    running = to;
}

INLINE void after_switch(ctx *self)
{
#ifdef T_ASAN
    __sanitizer_finish_switch_fiber(self->fake, NULL, NULL);
#endif
    if (running != self)
        FAIL("resumed context %d but %d was switched to", self->id, running->id);
}

/* The first thing every entry function does. */
static void entered(void)
{
#ifdef T_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
}

/* Each switch hands the target the address of the context it came from;
 * the resumed side checks it got what its resumer passed. */
static ctx *last_from;

static void sw(ctx *from, ctx *to)
{
    before_switch(from, to, 0);
    last_from = from;
    void *got = goro__ctx_switch(&from->sp, to->sp, from);
    if (got != last_from)
        FAIL("context %d resumed with transfer %p, want %p", from->id, got, (void *)last_from);
    after_switch(from);
}

static void finish(ctx *self, ctx *to)
{
    before_switch(self, to, 1);
    last_from = self;
    goro__ctx_switch(&self->sp, to->sp, self);
    FAIL("finished context %d was resumed", self->id);
}

static long scaled(long normal, long slow)
{
    const char *s = getenv("GORO_TEST_SLOW");
    return s && *s && strcmp(s, "0") != 0 ? slow : normal;
}

/* ---- 1. Ping-pong, with C values kept live across each switch ---------- */
/* Every value below is loaded from a volatile, so the compiler must keep it
 * (in a callee-saved register or in the frame) across the switch rather
 * than recompute it; the two sides use different values so a register that
 * leaked from one context into the other would show. */
static volatile uint64_t vu[2][8] = {
    {0x0123456789abcdefu, 0x1111111111111111u, 0x2222222222222222u, 0x3333333333333333u,
     0x4444444444444444u, 0x5555555555555555u, 0x6666666666666666u, 0x7777777777777777u},
    {0xfedcba9876543210u, 0x8888888888888888u, 0x9999999999999999u, 0xaaaaaaaaaaaaaaaau,
     0xbbbbbbbbbbbbbbbbu, 0xccccccccccccccccu, 0xddddddddddddddddu, 0xeeeeeeeeeeeeeeeeu},
};
static volatile double vd[2][8] = {
    {1.5, 2.25, 3.125, 4.0625, 5.5, 6.75, 7.875, 8.9375},
    {-1.5, -2.25, -3.125, -4.0625, -5.5, -6.75, -7.875, -8.9375},
};
static ctx ping, pong;
static uint64_t counter;
static long pingpong_n;

static void pingpong_side(ctx *self, ctx *other, int side, long n)
{
    for (long i = 0; i < n; i++) {
        if (counter != 2 * (uint64_t)i + (uint64_t)side)
            FAIL("ping-pong: side %d saw counter %llu at round %ld", side,
                 (unsigned long long)counter, i);
        counter++;
        uint64_t u0 = vu[side][0] + i, u1 = vu[side][1] ^ i, u2 = vu[side][2] - i,
                 u3 = vu[side][3] + 3 * i, u4 = vu[side][4] ^ (i << 7), u5 = vu[side][5] + 5,
                 u6 = vu[side][6] * 3, u7 = vu[side][7] - 7 * i;
        double d0 = vd[side][0] + i, d1 = vd[side][1] * 2, d2 = vd[side][2] - i,
               d3 = vd[side][3] * 0.5, d4 = vd[side][4] + 4, d5 = vd[side][5] - 5,
               d6 = vd[side][6] * 4, d7 = vd[side][7] + 0.25;
        sw(self, other);
        if (u0 != vu[side][0] + i || u1 != (vu[side][1] ^ i) || u2 != vu[side][2] - i ||
            u3 != vu[side][3] + 3 * i || u4 != (vu[side][4] ^ (i << 7)) ||
            u5 != vu[side][5] + 5 || u6 != vu[side][6] * 3 || u7 != vu[side][7] - 7 * i)
            FAIL("ping-pong: side %d lost an integer value across a switch", side);
        if (d0 != vd[side][0] + i || d1 != vd[side][1] * 2 || d2 != vd[side][2] - i ||
            d3 != vd[side][3] * 0.5 || d4 != vd[side][4] + 4 || d5 != vd[side][5] - 5 ||
            d6 != vd[side][6] * 4 || d7 != vd[side][7] + 0.25)
            FAIL("ping-pong: side %d lost a floating-point value across a switch", side);
    }
}

static void ping_entry(void)
{
    entered();
    pingpong_side(&ping, &pong, 0, pingpong_n);
    finish(&ping, &main_ctx);
}

static void pong_entry(void)
{
    entered();
    pingpong_side(&pong, &ping, 1, pingpong_n);
    FAIL("pong ran past its last round");
}

static void test_pingpong(void)
{
    pingpong_n = scaled(1000000, 100000);
    ctx_init(&ping, 1, ping_entry);
    ctx_init(&pong, 2, pong_entry);
    sw(&main_ctx, &ping);
    if (counter != 2 * (uint64_t)pingpong_n)
        FAIL("ping-pong: counter %llu, want %llu", (unsigned long long)counter,
             2 * (unsigned long long)pingpong_n);
    ctx_free(&ping); /* pong stays parked for good: its stack just goes */
    ctx_free(&pong);
}

/* ---- 2. Every callee-saved register, checked from assembly -------------- */
/* check_regs_switch(from, to, out) loads a distinct pattern into each
 * callee-saved register, switches, and stores what the registers hold when
 * it is resumed into out[]. clobber_regs_switch(from, to) fills the same
 * registers with junk and switches. Patterns: PAT(n) below. */
#define PAT(n) (((uint64_t)(0xc000 + (n)) << 48) | ((uint64_t)(0xb000 + (n)) << 32) | \
                ((uint64_t)(0xa000 + (n)) << 16) | (uint64_t)(0x1000 + (n)))
void check_regs_switch(void **from, void *to, uint64_t *out);
void clobber_regs_switch(void **from, void *to);

#if defined(__x86_64__)
#define NREGS 6
static const char *const reg_names[NREGS] = {"rbx", "rbp", "r12", "r13", "r14", "r15"};
__asm__(
    ".macro t_pat reg, n\n"
    "  movq $(0xc000 + \\n), \\reg\n  shlq $16, \\reg\n  orq $(0xb000 + \\n), \\reg\n"
    "  shlq $16, \\reg\n  orq $(0xa000 + \\n), \\reg\n"
    "  shlq $16, \\reg\n  orq $(0x1000 + \\n), \\reg\n"
    ".endm\n"
    ".pushsection .text\n"
    ".p2align 4\n"
    ".type check_regs_switch, @function\n"
    "check_regs_switch:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  pushq %rdx\n"
    "  t_pat %rbx, 0\n  t_pat %rbp, 1\n  t_pat %r12, 2\n  t_pat %r13, 3\n"
    "  t_pat %r14, 4\n  t_pat %r15, 5\n"
    "  call goro__ctx_switch@PLT\n"
    "  popq %rdx\n"
    "  movq %rbx, 0(%rdx)\n  movq %rbp, 8(%rdx)\n  movq %r12, 16(%rdx)\n"
    "  movq %r13, 24(%rdx)\n  movq %r14, 32(%rdx)\n  movq %r15, 40(%rdx)\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n"
    ".size check_regs_switch, .-check_regs_switch\n"
    ".p2align 4\n"
    ".type clobber_regs_switch, @function\n"
    "clobber_regs_switch:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  subq $8, %rsp\n"
    "  movq $-1, %rbx\n  movq $-2, %rbp\n  movq $-3, %r12\n  movq $-4, %r13\n"
    "  movq $-5, %r14\n  movq $-6, %r15\n"
    "  call goro__ctx_switch@PLT\n"
    "  addq $8, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n"
    ".size clobber_regs_switch, .-clobber_regs_switch\n"
    ".popsection\n");
#elif defined(__aarch64__)
#define NREGS 19
static const char *const reg_names[NREGS] = {
    "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
    "x29", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15"};
__asm__(
    ".macro t_pat reg, n\n"
    "  movz \\reg, #(0x1000 + \\n)\n  movk \\reg, #(0xa000 + \\n), lsl #16\n"
    "  movk \\reg, #(0xb000 + \\n), lsl #32\n  movk \\reg, #(0xc000 + \\n), lsl #48\n"
    ".endm\n"
    ".macro t_save\n"
    "  stp x29, x30, [sp, #-176]!\n  mov x29, sp\n"
    "  stp x19, x20, [sp, #16]\n  stp x21, x22, [sp, #32]\n  stp x23, x24, [sp, #48]\n"
    "  stp x25, x26, [sp, #64]\n  stp x27, x28, [sp, #80]\n"
    "  stp d8, d9, [sp, #96]\n  stp d10, d11, [sp, #112]\n"
    "  stp d12, d13, [sp, #128]\n  stp d14, d15, [sp, #144]\n"
    ".endm\n"
    ".macro t_restore\n"
    "  ldp x19, x20, [sp, #16]\n  ldp x21, x22, [sp, #32]\n  ldp x23, x24, [sp, #48]\n"
    "  ldp x25, x26, [sp, #64]\n  ldp x27, x28, [sp, #80]\n"
    "  ldp d8, d9, [sp, #96]\n  ldp d10, d11, [sp, #112]\n"
    "  ldp d12, d13, [sp, #128]\n  ldp d14, d15, [sp, #144]\n"
    "  ldp x29, x30, [sp], #176\n"
    ".endm\n"
    ".pushsection .text\n"
    ".p2align 4\n"
    ".type check_regs_switch, %function\n"
    "check_regs_switch:\n"
    "  t_save\n"
    "  str x2, [sp, #160]\n"
    "  t_pat x19, 0\n  t_pat x20, 1\n  t_pat x21, 2\n  t_pat x22, 3\n  t_pat x23, 4\n"
    "  t_pat x24, 5\n  t_pat x25, 6\n  t_pat x26, 7\n  t_pat x27, 8\n  t_pat x28, 9\n"
    "  t_pat x9, 11\n  fmov d8, x9\n  t_pat x9, 12\n  fmov d9, x9\n"
    "  t_pat x9, 13\n  fmov d10, x9\n  t_pat x9, 14\n  fmov d11, x9\n"
    "  t_pat x9, 15\n  fmov d12, x9\n  t_pat x9, 16\n  fmov d13, x9\n"
    "  t_pat x9, 17\n  fmov d14, x9\n  t_pat x9, 18\n  fmov d15, x9\n"
    "  t_pat x29, 10\n"
    "  bl goro__ctx_switch\n"
    "  ldr x2, [sp, #160]\n"
    "  stp x19, x20, [x2, #0]\n  stp x21, x22, [x2, #16]\n  stp x23, x24, [x2, #32]\n"
    "  stp x25, x26, [x2, #48]\n  stp x27, x28, [x2, #64]\n  str x29, [x2, #80]\n"
    "  str d8, [x2, #88]\n  str d9, [x2, #96]\n  str d10, [x2, #104]\n"
    "  str d11, [x2, #112]\n  str d12, [x2, #120]\n  str d13, [x2, #128]\n"
    "  str d14, [x2, #136]\n  str d15, [x2, #144]\n"
    "  t_restore\n"
    "  ret\n"
    ".size check_regs_switch, .-check_regs_switch\n"
    ".p2align 4\n"
    ".type clobber_regs_switch, %function\n"
    "clobber_regs_switch:\n"
    "  t_save\n"
    "  mov x19, #-1\n  mov x20, #-2\n  mov x21, #-3\n  mov x22, #-4\n  mov x23, #-5\n"
    "  mov x24, #-6\n  mov x25, #-7\n  mov x26, #-8\n  mov x27, #-9\n  mov x28, #-10\n"
    "  mov x29, #-11\n"
    "  fmov d8, x19\n  fmov d9, x20\n  fmov d10, x21\n  fmov d11, x22\n"
    "  fmov d12, x23\n  fmov d13, x24\n  fmov d14, x25\n  fmov d15, x26\n"
    "  bl goro__ctx_switch\n"
    "  t_restore\n"
    "  ret\n"
    ".size clobber_regs_switch, .-clobber_regs_switch\n"
    ".popsection\n");
#endif

#ifdef NREGS
static ctx clobberer;

static void clobber_entry(void)
{
    entered();
    for (;;) {
        before_switch(&clobberer, &main_ctx, 0);
        clobber_regs_switch(&clobberer.sp, main_ctx.sp);
        after_switch(&clobberer);
    }
}

static void test_registers(void)
{
    ctx_init(&clobberer, 3, clobber_entry);
    for (int round = 0; round < 100; round++) {
        uint64_t out[NREGS];
        memset(out, 0, sizeof out);
        before_switch(&main_ctx, &clobberer, 0);
        check_regs_switch(&main_ctx.sp, clobberer.sp, out);
        after_switch(&main_ctx);
        for (int r = 0; r < NREGS; r++)
            if (out[r] != PAT(r))
                FAIL("register %s: got %#llx after a switch, want %#llx", reg_names[r],
                     (unsigned long long)out[r], (unsigned long long)PAT(r));
    }
    ctx_free(&clobberer); /* parked in its loop for good */
}
#else
static void test_registers(void)
{
    printf("test_switch: no register check for this architecture\n");
}
#endif

/* ---- 3. Each context has its own rounding mode ------------------------- */
/* 1/3, -1/3 and 1/10 round differently under each of the four modes, so
 * the triple shows the mode the arithmetic unit really uses (MXCSR for SSE,
 * FPCR on AArch64), and fegetround() reads the control word itself. */
static volatile double one = 1.0, three = 3.0, ten = 10.0;
static const int modes[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
static const char *const mode_names[4] = {"to-nearest", "upward", "downward", "toward-zero"};
static double ref[4][3];
static ctx fa, fb, fc;

static void quotients(double q[3])
{
    q[0] = one / three;
    q[1] = -one / three;
    q[2] = one / ten;
}

static void expect_mode(const char *who, int m)
{
    double q[3];
    int got = fegetround();
    if (got != modes[m])
        FAIL("%s: fegetround() = %d, want %s (%d)", who, got, mode_names[m], modes[m]);
    quotients(q);
    if (q[0] != ref[m][0] || q[1] != ref[m][1] || q[2] != ref[m][2])
        FAIL("%s: arithmetic does not round %s", who, mode_names[m]);
}

static void set_mode(int m)
{
    if (fesetround(modes[m]) != 0)
        FAIL("fesetround(%s) failed", mode_names[m]);
}

static long fenv_rounds;

static void fa_entry(void)
{
    entered();
    for (long i = 0; i < fenv_rounds; i++) {
        expect_mode("context A", i == 0 ? 0 : 1);
        set_mode(1);
        sw(&fa, &fb);
        expect_mode("context A after B ran", 1);
        sw(&fa, &main_ctx);
    }
    finish(&fa, &main_ctx);
}

static void fb_entry(void)
{
    entered();
    for (long i = 0; i < fenv_rounds; i++) {
        expect_mode("context B", i == 0 ? 0 : 2);
        set_mode(2);
        sw(&fb, &fa);
    }
    finish(&fb, &main_ctx);
}

static void fc_entry(void)
{
    entered();
    expect_mode("context C (made under toward-zero)", 3);
    set_mode(1);
    finish(&fc, &main_ctx);
}

static void test_fenv(void)
{
    for (int m = 0; m < 4; m++) {
        set_mode(m);
        quotients(ref[m]);
    }
    set_mode(0);
    for (int m = 1; m < 4; m++)
        if (ref[m][0] == ref[0][0] && ref[m][1] == ref[0][1] && ref[m][2] == ref[0][2])
            printf("test_switch: note: %s arithmetic rounds like to-nearest here "
                   "(emulator?); checking fegetround() only\n", mode_names[m]);

    fenv_rounds = scaled(1000, 100);
    ctx_init(&fa, 4, fa_entry);
    ctx_init(&fb, 5, fb_entry);
    set_mode(3);
    ctx_init(&fc, 6, fc_entry); /* starts with the maker's mode */
    set_mode(0);
    for (long i = 0; i < fenv_rounds; i++) {
        sw(&main_ctx, &fa); /* A runs, B runs, A runs and comes back */
        expect_mode("main after A and B ran", 0);
    }
    sw(&main_ctx, &fa); /* A finishes; B stays parked for good */
    expect_mode("main after A finished", 0);
    sw(&main_ctx, &fc);
    expect_mode("main after C ran", 0);
    ctx_free(&fa);
    ctx_free(&fb); /* parked after its last round */
    ctx_free(&fc);
}

/* ---- 4. 1000 contexts round-robin on malloc'd stacks ------------------- */
#define NRING 1000
static ctx *ring;
static long ring_rounds;
static long step;

static void ring_entry(void)
{
    entered();
    ctx *self = running;
    int id = self->id;
    volatile int mark[16]; /* lives on this context's stack throughout */
    for (int k = 0; k < 16; k++)
        mark[k] = id * 16 + k;
    for (long r = 0; r < ring_rounds; r++) {
        if (step != r * NRING + id)
            FAIL("ring: context %d ran at step %ld in round %ld", id, step, r);
        step++;
        for (int k = 0; k < 16; k++)
            if (mark[k] != id * 16 + k)
                FAIL("ring: context %d's stack changed under it", id);
        ctx *next = id + 1 < NRING ? &ring[id + 1] : &main_ctx;
        if (r + 1 == ring_rounds)
            finish(self, next);
        sw(self, next);
    }
}

static void test_ring(void)
{
    ring_rounds = scaled(20, 3);
    ring = calloc(NRING, sizeof *ring);
    if (!ring)
        FAIL("out of memory");
    for (int i = 0; i < NRING; i++)
        ctx_init(&ring[i], i, ring_entry);
    for (long r = 0; r < ring_rounds; r++) {
        sw(&main_ctx, &ring[0]);
        if (step != (r + 1) * NRING)
            FAIL("ring: after round %ld step is %ld, want %ld", r, step, (r + 1) * NRING);
    }
    for (int i = 0; i < NRING; i++)
        ctx_free(&ring[i]);
    free(ring);
}

int main(void)
{
    main_ctx.id = -1;
    main_ctx_init();
    test_pingpong();
    test_registers();
    test_fenv();
    test_ring();
    printf("test_switch: ok (%ld ping-pong rounds, %d contexts x %ld rounds)\n",
           pingpong_n, NRING, ring_rounds);
    return 0;
}
