/*
 * unwind_info.h — which code has unwind information, asked from a signal
 * handler.
 *
 * The walk classifier (verdict.h) excuses a walk that stops at a frame
 * without unwind information ("stopped"): a CFI-driven unwinder has nothing
 * to go on there. That excuse must be provable, so it is not a list of
 * places we believe lack CFI but the answer of the binaries' own
 * .eh_frame_hdr, the sorted table every unwinder searches: a PC no FDE
 * covers has none (the barrier trampoline; a PLT entry when the linker, lld
 * for one, writes no unwind information for .plt).
 *
 * unwind_info_load indexes the objects loaded when it is called (outside any
 * handler: dl_iterate_phdr takes the loader's lock); unwind_info_covers then
 * only reads memory, so handlers may call it. An object it could not read
 * (no PT_GNU_EH_FRAME, a table encoding other than the usual datarel sdata4,
 * 64-bit FDE lengths) counts as covered: no excuse is given on a guess.
 */
#ifndef STRESS_UNWIND_INFO_H
#define STRESS_UNWIND_INFO_H
#include <stdbool.h>
#include <stdint.h>

/* Indexes the loaded objects (again: objects loaded since are added). */
void unwind_info_load(void);
/* Whether an FDE covers pc; true for code outside every indexed object. */
bool unwind_info_covers(uintptr_t pc);
#endif
