/*
 * shape_leave_x86_64.S — leaf-leave, the one shape written by hand: a
 * frame-pointer leaf whose epilogue is `leave`. Compilers choose their own
 * epilogues (clang never emits leave, gcc only for some frames), and a
 * walker's CFI interpreter must meet every instruction that changes the CFA
 * rule: here push %rbp (CFA rsp+16), mov %rsp,%rbp (CFA rbp+16), push and
 * pop of a callee-saved register and sub/add of rsp under an rbp-based CFA
 * (no change, which an interpreter must also get right), leave (CFA back to
 * rsp+8) and ret.
 *
 * void shape_leaf_leave(struct mutator *m): records itself in m's shadow
 * stack after its prologue and forgets itself before its epilogue, as the
 * C shapes do (shape_body.h); the offsets are checked by shapes.c. The
 * return address it records is the logical one, as SHAPE_ENTER's
 * (barrier_logical_ra): a leaf never parks, so no barrier is installed in
 * its slot while it runs, but tail's callee is entered by a jump and reuses
 * tail's slot, which may hold the trampoline already. Recorded raw, the
 * shadow said "trampoline" where a walker translated by slot said tail's
 * return address, and stress graded libgcc wrong for walking it right. The
 * lookup is inline: a call before the frame is recorded would be a frame
 * the oracle cannot see.
 */
#if defined(__x86_64__)
    .set SHADOW_F, 8          /* offsetof(shadow, f) */
    .set FRAME_SIZE, 24       /* sizeof(shadow_frame) */
    .set FRAME_SLOT, 8        /* offsetof(shadow_frame, slot) */
    .set FRAME_SHAPE, 16      /* offsetof(shadow_frame, shape) */
    .set FRAME_KIND, 17       /* offsetof(shadow_frame, kind) */
    .set SHAPE_LEAF_LEAVE_ID, 16 /* SHAPE_LEAF_LEAVE */
    .set M_BARRIERS, 3848     /* offsetof(mutator, barriers) */
    .set TABLE_N, 8           /* offsetof(barrier_table, n) */
    .set TABLE_POS, 12        /* offsetof(barrier_table, pos) */
    .set TABLE_E, 16          /* offsetof(barrier_table, e) */
    .set ENTRY_ORIG, 8        /* offsetof(barrier_entry, orig); its size is 16 */
    .section sr_shape_text,"ax",@progbits
    .globl shape_leaf_leave
    .type shape_leaf_leave,@function
shape_leaf_leave:
    .cfi_startproc
    push %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    mov %rsp, %rbp
    .cfi_def_cfa_register %rbp
    push %rbx
    .cfi_offset %rbx, -24
    sub $24, %rsp
    /* m->shadow.f[depth] = {ra, slot, SHAPE_LEAF_LEAVE, FRAME_CALL}; then
     * depth + 1 (a signal handler sees the frame whole or not at all) */
    mov 8(%rbp), %rsi         /* the return address */
    lea barrier_trampoline(%rip), %rax
    cmp %rax, %rsi
    jne 6f
    lea 8(%rbp), %rdx         /* the slot: its entry in [pos, n), if any */
    mov M_BARRIERS+TABLE_POS(%rdi), %ecx
4:  cmp M_BARRIERS+TABLE_N(%rdi), %ecx
    jae 6f
    mov %ecx, %eax
    shl $4, %rax
    lea M_BARRIERS+TABLE_E(%rdi,%rax), %rax
    cmp (%rax), %rdx
    je 5f
    inc %ecx
    jmp 4b
5:  mov ENTRY_ORIG(%rax), %rsi
6:  mov (%rdi), %eax
    imul $FRAME_SIZE, %rax, %rbx
    lea SHADOW_F(%rdi,%rbx), %rbx
    mov %rsi, (%rbx)
    lea 8(%rbp), %rdx
    mov %rdx, FRAME_SLOT(%rbx)
    movb $SHAPE_LEAF_LEAVE_ID, FRAME_SHAPE(%rbx)
    movb $0, FRAME_KIND(%rbx)
    add $1, %eax
    mov %eax, (%rdi)
    /* a little time, where samples land */
    mov $96, %ecx
1:  dec %ecx
    jnz 1b
    subl $1, (%rdi)           /* forgets itself */
    add $24, %rsp
    pop %rbx
    .cfi_restore %rbx
    leave
    .cfi_def_cfa %rsp, 8
    .cfi_restore %rbp
    ret
    .cfi_endproc
    .size shape_leaf_leave, .-shape_leaf_leave
    .section .note.GNU-stack,"",@progbits
#endif
