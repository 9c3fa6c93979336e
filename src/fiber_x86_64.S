/*
 * fiber_x86_64.S - context switch for x86-64 (System V ABI, ELF).
 *
 * fiber_asm_switch is called like a C function, so the caller already treats
 * rax, rcx, rdx, rsi, rdi, r8-r11 and all of xmm0-15/x87 as clobbered.  Only
 * the callee-saved rbx, rbp, r12-r15 and rsp have to survive; the return
 * address is already on the stack.  MXCSR and the x87 control word are
 * deliberately not switched (see fiber.c).  Assembled only when the ucontext
 * fallback is not selected, so the file can always be in the build.
 */
#if defined(__x86_64__) && defined(__ELF__) && \
    !(defined(FIBER_UCONTEXT) && FIBER_UCONTEXT)

#if defined(__CET__) && (__CET__ & 1)
#define FIBER_LANDING_PAD endbr64
#else
#define FIBER_LANDING_PAD
#endif

    .text

/*
 * void fiber_asm_switch(void **save_sp, void *const *load_sp)
 *   rdi = where to store our stack pointer, rsi = where to load the next one.
 * The load happens after the store, so switching to oneself is a no-op.
 * The CFI describes the pushed registers; both stacks have the same layout,
 * so it stays true after rsp is replaced.
 */
    .globl  fiber_asm_switch
    .hidden fiber_asm_switch
    .type   fiber_asm_switch, @function
    .p2align 4
fiber_asm_switch:
    .cfi_startproc
    FIBER_LANDING_PAD
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0

    movq    %rsp, (%rdi)
    movq    (%rsi), %rsp

    popq    %r15
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r15
    popq    %r14
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r14
    popq    %r13
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r13
    popq    %r12
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r12
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbx
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbp
    ret
    .cfi_endproc
    .size   fiber_asm_switch, .-fiber_asm_switch

/*
 * First code of every new fiber, reached by the "ret" above through the frame
 * fiber.c builds: r12 = fiber, rbx = fiber_entry, rbp = 0, and rsp points at
 * a zero return address, rsp % 16 == 8 as at any function entry.  The CFI
 * says this frame has no caller, so unwinders stop here.  The push of the
 * zero rbp realigns the stack for the call and ends the frame-pointer chain.
 */
    .globl  fiber_asm_entry
    .hidden fiber_asm_entry
    .type   fiber_asm_entry, @function
    .p2align 4
fiber_asm_entry:
    .cfi_startproc
    .cfi_undefined %rip
    FIBER_LANDING_PAD
    xorl    %ebp, %ebp
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    movq    %r12, %rdi
    callq   *%rbx
    ud2                         /* fiber_entry never returns */
    .cfi_endproc
    .size   fiber_asm_entry, .-fiber_asm_entry

#endif

/* Keep the stack non-executable even when this file assembles to nothing. */
#if defined(__ELF__)
    .section .note.GNU-stack, "", %progbits
#endif
