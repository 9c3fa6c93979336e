/*
 * scanner.h — the rewriter's agent: a thread that installs return-address
 * barriers into parked mutators and removes them at the end of each cycle.
 *
 * A cycle is two passes over the mutators, as Go's GC installed stack
 * barriers when it scanned a stack (gcInstallStackBarrier, mgcmark.go) and
 * removed them all at mark termination (gcRemoveStackBarriers): each pass
 * takes each mutator once, when it finds it parked: it sets the scan bit
 * (mutator_hold: the thread cannot resume its frames meanwhile), takes the thread's
 * barrier lock, rewrites, and lets go. After a removal it checks that no
 * recorded return slot still holds the trampoline.
 */
#ifndef STRESS_SCANNER_H
#define STRESS_SCANNER_H
#include <stdint.h>

#include "mutator.h"

int scanner_start(mutator *muts, unsigned n);
/* Zeroes the counts (a new run). */
void scanner_reset(void);
void scanner_stop(void);
/* One mutator's two steps, taken when it is held parked (MUT_SCAN): install
 * barriers in every recorded call frame's slot; remove them all, then check
 * that no recorded slot still holds the trampoline. Each trouble is a
 * "rewriter" finding: a slot that does not hold its frame's return address
 * (install refused), a live barrier's slot that no longer holds the
 * trampoline (barrier lost), a trampoline left after removal. */
void scanner_install(mutator *m);
void scanner_remove(mutator *m);
/* Cycles completed, barriers installed and removed so far. */
void scanner_counts(uint64_t *cycles, uint64_t *installed, uint64_t *removed);
#endif
