/*
 * fiber_aarch64.S - context switch for AArch64 (AAPCS64, ELF).
 *
 * fiber_asm_switch is called like a C function (bl), so only what AAPCS64
 * calls callee-saved has to survive: x19-x28, the frame pointer x29, the link
 * register x30 (our return address), the low 64 bits d8-d15 of v8-v15, and
 * sp.  FPCR is deliberately not switched (see fiber.c).  Assembled only when
 * the ucontext fallback is not selected, so the file can always be in the
 * build.
 *
 * Saved frame, 160 bytes at the suspended sp (fiber.c builds the same layout
 * for a new fiber):
 *   [sp+0]  x19 x20   [sp+16] x21 x22   [sp+32] x23 x24   [sp+48] x25 x26
 *   [sp+64] x27 x28   [sp+80] x29 x30   [sp+96] d8 d9 ... [sp+144] d14 d15
 */
#if defined(__aarch64__) && defined(__ELF__) && \
    !(defined(FIBER_UCONTEXT) && FIBER_UCONTEXT)

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define FIBER_LANDING_PAD bti c
#else
#define FIBER_LANDING_PAD
#endif

    .text

/*
 * void fiber_asm_switch(void **save_sp, void *const *load_sp)
 *   x0 = where to store our sp, x1 = where to load the next one.
 * The load happens after the store, so switching to oneself is a no-op.
 * Return addresses are saved as they are: with pointer authentication the
 * callers sign and check their own, and x30 here is a plain bl return.
 */
    .globl  fiber_asm_switch
    .hidden fiber_asm_switch
    .type   fiber_asm_switch, %function
    .p2align 4
fiber_asm_switch:
    .cfi_startproc
    FIBER_LANDING_PAD
    .cfi_remember_state
    sub     sp, sp, #160
    .cfi_adjust_cfa_offset 160
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
    .cfi_rel_offset x19, 0
    .cfi_rel_offset x20, 8
    .cfi_rel_offset x21, 16
    .cfi_rel_offset x22, 24
    .cfi_rel_offset x23, 32
    .cfi_rel_offset x24, 40
    .cfi_rel_offset x25, 48
    .cfi_rel_offset x26, 56
    .cfi_rel_offset x27, 64
    .cfi_rel_offset x28, 72
    .cfi_rel_offset x29, 80
    .cfi_rel_offset x30, 88
    .cfi_rel_offset d8, 96
    .cfi_rel_offset d9, 104
    .cfi_rel_offset d10, 112
    .cfi_rel_offset d11, 120
    .cfi_rel_offset d12, 128
    .cfi_rel_offset d13, 136
    .cfi_rel_offset d14, 144
    .cfi_rel_offset d15, 152

    mov     x2, sp
    str     x2, [x0]
    ldr     x2, [x1]
    mov     sp, x2

    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8,  d9,  [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #160
    .cfi_restore_state          /* back to the entry rules */
    ret
    .cfi_endproc
    .size   fiber_asm_switch, .-fiber_asm_switch

/*
 * First code of every new fiber, reached by the "ret" above through the frame
 * fiber.c builds: x19 = fiber, x20 = fiber_entry, x29 = 0, sp = the 16-byte
 * aligned stack top.  x30 is undefined in the CFI and zeroed, so unwinders
 * stop here; x29 = 0 ends the frame-record chain.
 */
    .globl  fiber_asm_entry
    .hidden fiber_asm_entry
    .type   fiber_asm_entry, %function
    .p2align 4
fiber_asm_entry:
    .cfi_startproc
    .cfi_undefined x30
    FIBER_LANDING_PAD
    mov     x29, xzr
    mov     x30, xzr
    mov     x0, x19
    blr     x20
    brk     #0x1                /* fiber_entry never returns */
    .cfi_endproc
    .size   fiber_asm_entry, .-fiber_asm_entry

#endif

/*
 * With -mbranch-protection, tell the linker this object is BTI/PAC
 * compatible (landing pads above; return addresses are never signed here and
 * never need to be), or it would turn BTI off for the whole program.
 */
#if defined(__aarch64__) && defined(__ELF__)
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define FIBER_GNU_PROPERTY_BTI 1
#else
#define FIBER_GNU_PROPERTY_BTI 0
#endif
#if defined(__ARM_FEATURE_PAC_DEFAULT) && __ARM_FEATURE_PAC_DEFAULT
#define FIBER_GNU_PROPERTY_PAC 2
#else
#define FIBER_GNU_PROPERTY_PAC 0
#endif
#if FIBER_GNU_PROPERTY_BTI || FIBER_GNU_PROPERTY_PAC
    .pushsection .note.gnu.property, "a"
    .balign 8
    .long   4                   /* name size, "GNU" and its NUL */
    .long   16                  /* descriptor size */
    .long   5                   /* NT_GNU_PROPERTY_TYPE_0 */
    .asciz  "GNU"
    .long   0xc0000000          /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
    .long   4
    .long   FIBER_GNU_PROPERTY_BTI | FIBER_GNU_PROPERTY_PAC
    .long   0                   /* padding to 8 bytes */
    .popsection
#endif
#endif

/* Keep the stack non-executable even when this file assembles to nothing. */
#if defined(__ELF__)
    .section .note.GNU-stack, "", %progbits
#endif
