/* SPDX-License-Identifier: MIT */
/*
 * AArch64 initial frame for goro__ctx_make (layout: switch.S). The new
 * context inherits the caller's FPCR (rounding mode, flush-to-zero).
 */
#include <stdint.h>
#include <string.h>
#include "../arch.h"

void goro__ctx_start(void);

enum { FRAME_WORDS = 22, X19 = 0, X29 = 10, X30 = 11, FPCR = 20 };

void *goro__ctx_make(void *lo, size_t size, void (*entry)(void))
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
    uint64_t *sp = (uint64_t *)(top - FRAME_WORDS * 8);
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    memset(sp, 0, FRAME_WORDS * 8);
    sp[X19] = (uint64_t)(uintptr_t)entry;
    sp[X29] = 0;                                   /* end of the frame chain */
    sp[X30] = (uint64_t)(uintptr_t)goro__ctx_start; /* where `ret` goes */
    sp[FPCR] = fpcr;
    return sp;
}

/* The saved x29 and x30 (switch.S's frame). */
const size_t goro__ctx_fp_off = 80, goro__ctx_pc_off = 88;
