/* SPDX-License-Identifier: MIT */
/*
 * arch.h: the context-switch contract every architecture implements.
 *
 * A context is one saved stack pointer. Switching saves only what the C ABI
 * says a callee must preserve (callee-saved registers and the floating-point
 * control words) on the current stack, stores the stack pointer in *from,
 * and resumes `to`, which was produced either by an earlier switch away from
 * it or by goro__ctx_make. Implementations: arch/x86_64/switch.S,
 * arch/aarch64/switch.S, and arch/generic/switch_ucontext.c (the portable
 * fallback, chosen at configure time with -DGORO_UCONTEXT=ON).
 *
 * Invariants: a context is resumed at most once per save; `to` must not be
 * the current context; entry functions never return (they switch away for
 * good instead).
 */
#ifndef GORO_ARCH_H
#define GORO_ARCH_H

#include <stddef.h>

/* Saves the running context into *from and resumes `to`, handing it `arg`.
 * Returns when some later switch resumes *from, with the `arg` that switch
 * passed (a fresh context's entry gets none). */
void *goro__ctx_switch(void **from, void *to, void *arg);

/* Prepares a fresh context on the stack [lo, lo + size) that, when first
 * switched to, calls entry() with the floating-point control words of the
 * thread that called goro__ctx_make. Returns the value to pass as `to`.
 * The top of the stack (a few dozen bytes, more for ucontext) holds the
 * initial frame. */
void *goro__ctx_make(void *lo, size_t size, void (*entry)(void));

/* Where a saved context (the value *from holds while switched out) keeps
 * the frame pointer and the pc it resumes at, as byte offsets from it:
 * dumps walk a parked goroutine's frames from there (callsite.c). */
extern const size_t goro__ctx_fp_off, goro__ctx_pc_off;

#endif
