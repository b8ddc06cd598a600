/* SPDX-License-Identifier: MIT */
/*
 * Portable context switch on getcontext/makecontext/swapcontext (contract:
 * src/sched/arch/arch.h), built with -DGORO_UCONTEXT=ON on any architecture.
 *
 * A context is a ucontext_t*. A parked context's ucontext_t lives in the
 * frame of the goro__ctx_switch call that parked it; a fresh one sits at the
 * top of its stack, above the stack makecontext gives entry. swapcontext
 * saves and restores the signal mask (a system call) and the floating-point
 * environment, so this is much slower than the assembly switches but needs
 * nothing architecture-specific.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>
#include "../arch.h"

/* The value handed to the resumed context. Written and read on the same
 * thread around one swapcontext; read through a function that is never
 * inlined, as the resumed context may be on another thread than the one
 * it last ran on (a cached TLS address would be that thread's). */
static __thread void *transfer;

__attribute__((noinline)) static void *transfer_take(void)
{
    __asm__ volatile("" ::: "memory");
    return transfer;
}

void *goro__ctx_switch(void **from, void *to, void *arg)
{
    ucontext_t self;
    *from = &self;
    transfer = arg;
    if (swapcontext(&self, (ucontext_t *)to) != 0)
        abort();
    return transfer_take();
}

void *goro__ctx_make(void *lo, size_t size, void (*entry)(void))
{
    uintptr_t top = (uintptr_t)lo + size;
    ucontext_t *uc = (ucontext_t *)((top - sizeof(ucontext_t)) & ~(uintptr_t)63);
    /* getcontext captures the caller's signal mask and floating-point
     * control words, which the new context starts with. */
    if (getcontext(uc) != 0)
        abort();
    uc->uc_stack.ss_sp = lo;
    uc->uc_stack.ss_size = (size_t)((uintptr_t)uc - (uintptr_t)lo) & ~(size_t)15;
    uc->uc_stack.ss_flags = 0;
    uc->uc_link = NULL;
    makecontext(uc, entry, 0);
    return uc;
}

/* The frame pointer and pc swapcontext saved (equal offsets elsewhere:
 * no frames). */
#if defined(__x86_64__)
const size_t goro__ctx_fp_off = offsetof(ucontext_t, uc_mcontext.gregs[REG_RBP]);
const size_t goro__ctx_pc_off = offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
const size_t goro__ctx_fp_off = offsetof(ucontext_t, uc_mcontext.regs[29]);
const size_t goro__ctx_pc_off = offsetof(ucontext_t, uc_mcontext.pc);
#else
const size_t goro__ctx_fp_off = 0, goro__ctx_pc_off = 0;
#endif
