/*
 * barrier_x86_64.S — the return-address barrier's trampoline (barrier.h).
 *
 * A frame whose return slot holds barrier_trampoline returns here instead
 * of to its caller, with rsp just past the slot (16-byte aligned, as after
 * any return) and its return value in rax:rdx and xmm0:xmm1. We keep those,
 * ask barrier_pop for the original return address (it checks the entry is
 * this slot's) and jump there, the stack exactly as the real return would
 * have left it. The code is in its own section so that a sampler can tell a
 * thread is between a return and its original return address
 * (barrier_text_lo/hi): no walk is reliable there.
 */
#if defined(__x86_64__)
    .section sr_tramp_text,"ax",@progbits
    .globl barrier_trampoline
    .type barrier_trampoline,@function
    .p2align 4
    nop     /* so that a return address minus one (how unwinders look up a
               return address's function) still falls in the trampoline */
barrier_trampoline:
    mov %rsp, %rdi
    sub $48, %rsp
    mov %rax, 0(%rsp)
    mov %rdx, 8(%rsp)
    movdqu %xmm0, 16(%rsp)
    movdqu %xmm1, 32(%rsp)
    call barrier_pop@PLT
    mov %rax, %r11
    mov 0(%rsp), %rax
    mov 8(%rsp), %rdx
    movdqu 16(%rsp), %xmm0
    movdqu 32(%rsp), %xmm1
    add $48, %rsp
    jmp *%r11
    .size barrier_trampoline, .-barrier_trampoline
#endif
    .section .note.GNU-stack,"",@progbits
