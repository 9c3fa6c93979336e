/*
 * barrier_x86_64.S — the return-address barrier's trampoline (barrier.h).
 *
 * A frame whose return slot holds barrier_trampoline returns here instead
 * of to its caller, with rsp just past the slot (16-byte aligned, as after
 * any return) and its return value in rax:rdx and xmm0:xmm1. The first
 * thing we do is advance the thread's table past the entry of the slot just
 * returned through (barrier_self->pos++, with rsp untouched): so a reader
 * interrupting the trampoline anywhere knows which entry is gone, from the
 * table alone before that increment (the entry at pos has its slot below
 * rsp) and from pos after it. Go's trampoline left the entry in place until
 * its handler ran, and a reader that translated by position was wrong in
 * that window. Then we keep the return value, ask barrier_pop for the
 * original return address (it checks the entry popped is this slot's) and
 * jump there, the stack exactly as the real return would have left it. The
 * code is in its own section so that a sampler can tell a thread is between
 * a return and its original return address (barrier_text_lo/hi): no walk is
 * reliable there. It carries no unwind information (verdict.h).
 */
#if defined(__x86_64__)
    .set BARRIER_POS, 12 /* offsetof(barrier_table, pos) */
    .section sr_tramp_text,"ax",@progbits
    .globl barrier_trampoline
    .type barrier_trampoline,@function
    .p2align 4
    nop     /* so that a return address minus one (how unwinders look up a
               return address's function) still falls in the trampoline */
barrier_trampoline:
    /* barrier_self->pos++ (initial-exec TLS; BARRIER_POS: barrier.c checks
     * the offset); a thread with no table goes on to barrier_pop's fatal */
    movq barrier_self@GOTTPOFF(%rip), %r11
    movq %fs:(%r11), %r11
    testq %r11, %r11
    jz 1f
    incl BARRIER_POS(%r11)
1:
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
    /* the end of the code that has no unwind information (verdict.h) */
    .globl barrier_trampoline_end
    .hidden barrier_trampoline_end
barrier_trampoline_end:
#endif
    .section .note.GNU-stack,"",@progbits
