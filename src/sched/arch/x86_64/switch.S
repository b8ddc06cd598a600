/* SPDX-License-Identifier: MIT */
/*
 * x86-64 System V context switch (contract: src/sched/arch/arch.h).
 *
 * Saved frame, from the saved stack pointer upwards:
 *   [0] MXCSR (4 bytes) | x87 control word (2 bytes) | pad
 *   [8] r15 [16] r14 [24] r13 [32] r12 [40] rbx [48] rbp [56] return address
 * tools/goro-gdb.py reads this layout to unwind a parked goroutine.
 */
    .text

    .globl  goro__ctx_switch
    .hidden goro__ctx_switch
    .type   goro__ctx_switch, @function
    .p2align 4
goro__ctx_switch:               /* rdi = void **from, rsi = void *to, rdx = arg */
    .cfi_startproc
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    subq    $8, %rsp
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    addq    $8, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    movq    %rdx, %rax              /* the resumed side returns arg */
    ret
    .cfi_endproc
    .size   goro__ctx_switch, .-goro__ctx_switch

/* First code a fresh context runs: rbx holds entry (set by goro__ctx_make).
 * The return address is undefined so debuggers stop unwinding here. */
    .globl  goro__ctx_start
    .hidden goro__ctx_start
    .type   goro__ctx_start, @function
    .p2align 4
goro__ctx_start:
    .cfi_startproc
    .cfi_undefined rip
    xorl    %ebp, %ebp
    andq    $-16, %rsp
    callq   *%rbx
    ud2
    .cfi_endproc
    .size   goro__ctx_start, .-goro__ctx_start

    .section .note.GNU-stack,"",@progbits
