/* SPDX-License-Identifier: MIT */
/*
 * x86-64 initial frame for goro__ctx_make (layout: switch.S). The new
 * context inherits the caller's MXCSR and x87 control word.
 */
#include <stdint.h>
#include <string.h>
#include "../arch.h"

void goro__ctx_start(void);

void *goro__ctx_make(void *lo, size_t size, void (*entry)(void))
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
    uint64_t *sp = (uint64_t *)(top - 8 * 8);   /* 8 words: fp ctl + 6 regs + ret */
    uint32_t mxcsr;
    uint16_t fpcw;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(fpcw));
    memset(sp, 0, 8 * 8);
    memcpy((char *)sp, &mxcsr, 4);
    memcpy((char *)sp + 4, &fpcw, 2);
    sp[5] = (uint64_t)(uintptr_t)entry;          /* rbx */
    sp[7] = (uint64_t)(uintptr_t)goro__ctx_start; /* return address */
    return sp;
}

/* The saved rbp and return address (switch.S's frame). */
const size_t goro__ctx_fp_off = 6 * 8, goro__ctx_pc_off = 7 * 8;
