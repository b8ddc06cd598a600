/* SPDX-License-Identifier: MIT */
/*
 * AArch64 (AAPCS64) context switch (contract: src/sched/arch/arch.h).
 *
 * Saved frame, from the saved stack pointer upwards (176 bytes, so the
 * stack stays 16-byte aligned):
 *   [0]  x19 x20 x21 x22 x23 x24 x25 x26 x27 x28   (10 x 8 bytes)
 *   [80] x29 (frame pointer)  [88] x30 (return address)
 *   [96] d8 d9 d10 d11 d12 d13 d14 d15             (8 x 8 bytes)
 *   [160] FPCR  [168] pad
 * tools/goro-gdb.py reads this layout to unwind a parked goroutine.
 */
#define FRAME 176

    .text

    .globl  goro__ctx_switch
    .hidden goro__ctx_switch
    .type   goro__ctx_switch, %function
    .p2align 4
goro__ctx_switch:               /* x0 = void **from, x1 = void *to, x2 = arg */
    .cfi_startproc
    hint    #34                 /* bti c: a no-op where BTI is off */
    sub     sp, sp, #FRAME
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    stp     d8,  d9,  [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    mrs     x9, fpcr
    str     x9, [sp, #160]
    mov     x10, sp
    str     x10, [x0]
    mov     sp, x1
    ldr     x10, [sp, #160]
    cmp     x9, x10             /* writing FPCR can be slow: skip if equal */
    b.eq    1f
    msr     fpcr, x10
1:  ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8,  d9,  [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #FRAME
    mov     x0, x2              /* the resumed side returns arg */
    ret
    .cfi_endproc
    .size   goro__ctx_switch, .-goro__ctx_switch

/* First code a fresh context runs (reached by the `ret` above): x19 holds
 * entry (set by goro__ctx_make), sp is 16-byte aligned. The return address
 * is undefined and the frame chain ends at x29 = 0, so unwinders stop here. */
    .globl  goro__ctx_start
    .hidden goro__ctx_start
    .type   goro__ctx_start, %function
    .p2align 4
goro__ctx_start:
    .cfi_startproc
    .cfi_undefined x30
    mov     x29, #0
    mov     x30, #0
    blr     x19
    brk     #0x3e8              /* entry must never return */
    .cfi_endproc
    .size   goro__ctx_start, .-goro__ctx_start

#if defined(__ARM_FEATURE_BTI_DEFAULT) || defined(__ARM_FEATURE_PAC_DEFAULT)
/* GNU property note: this file is BTI compatible (bti c above; the start
 * trampoline is only reached by ret) and does not sign return addresses. */
    .pushsection .note.gnu.property, "a"
    .p2align 3
    .word   4
    .word   16
    .word   5                   /* NT_GNU_PROPERTY_TYPE_0 */
    .asciz  "GNU"
    .word   0xc0000000          /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
    .word   4
    .word   1                   /* BTI */
    .word   0
    .popsection
#endif

    .section .note.GNU-stack,"",%progbits
