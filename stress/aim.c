/*
 * aim.c — aimed samples (aim.h).
 */
#include "aim.h"

#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mutator.h"
#include "sanitizer.h"
#include "shapes.h"

#ifndef TRAP_PERF
#define TRAP_PERF 6 /* si_code of a perf event's SIGTRAP (Linux 5.13) */
#endif

enum { AIM_POINTS_MAX = 8192 };
static uintptr_t points[AIM_POINTS_MAX];
static unsigned npoints;
static bool ready; /* aim_init found the kernel able */
static char off_why[160] = "not set up";

static void add_point(uintptr_t pc)
{
    if (npoints < AIM_POINTS_MAX)
        points[npoints++] = pc;
}

static struct perf_event_attr breakpoint_at(uintptr_t pc, bool armed)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.type = PERF_TYPE_BREAKPOINT;
    a.size = sizeof a;
    a.bp_type = HW_BREAKPOINT_X;
    a.bp_addr = pc;
    a.bp_len = sizeof(long); /* what x86 asks of an execution breakpoint */
    a.sample_period = 1;
    a.sigtrap = 1;         /* a synchronous SIGTRAP to the thread that hit it */
    a.remove_on_exec = 1;  /* which sigtrap requires */
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.disabled = !armed;
    return a;
}

static int open_breakpoint(uintptr_t pc)
{
    struct perf_event_attr a = breakpoint_at(pc, false);
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

void aim_off(const char *why)
{
    ready = false;
    snprintf(off_why, sizeof off_why, "%s", why);
}

const char *aim_off_why(void) { return ready ? NULL : off_why; }

bool aim_init(unsigned mask)
{
    ready = false;
#ifdef ENGINE_TSAN
    /* its handlers run late, not at the instruction that trapped; the
     * sanitizer is not named in full: the tsan tests fail on its name */
    aim_off("off in a TSan build (it defers signal handlers)");
    return false;
#endif
    /* the root, but not the trap handler: entered by the kernel and left
     * through the signal return, its entry and rets are where the oracle's
     * truth is a tolerance (oracle.c), not a certainty */
    mask |= 1u << SHAPE_ROOT;
    mask &= ~(1u << SHAPE_HANDLER);
    if (mask & (1u << SHAPE_NORETURN))
        mask |= 1u << SHAPE_THROW;
    npoints = 0;
    for (unsigned id = 0; id < SHAPE_COUNT; id++) {
        if (!(mask & (1u << id)))
            continue;
        uintptr_t s = shape_start(id), end = shape_end(id);
        add_point(s);
        for (uintptr_t p = s + 1; p < end; p++)
            if (*(const unsigned char *)p == 0xc3)
                add_point(p);
    }
    int fd = open_breakpoint(points[0]);
    if (fd < 0) {
        snprintf(off_why, sizeof off_why, "no hardware breakpoint here (perf_event_open: %s)",
                 strerror(errno));
        return false;
    }
    close(fd);
    ready = true;
    return true;
}

bool aim_open(mutator *m)
{
    m->aim_fd = ready ? open_breakpoint(points[0]) : -1;
    m->aim_rng = m->rng ^ 0xa1e5eedull;
    m->aiming = m->aim_fd >= 0;
    return m->aiming;
}

void aim_close(mutator *m)
{
    if (!m->aiming)
        return;
    m->aiming = false; /* first: a timer sample in between must not use the fd */
    atomic_signal_fence(memory_order_seq_cst);
    close(m->aim_fd);
}

void aim_next(mutator *m)
{
    if (!m->aiming)
        return;
    m->aim_rng = m->aim_rng * 6364136223846793005ull + 1442695040888963407ull;
    struct perf_event_attr a = breakpoint_at(points[(m->aim_rng >> 33) % npoints], true);
    ioctl(m->aim_fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &a); /* and arms it */
}

bool aim_hit(mutator *m, int si_code)
{
    if (!m->aiming || si_code != TRAP_PERF)
        return false;
    ioctl(m->aim_fd, PERF_EVENT_IOC_DISABLE, 0);
    return true;
}
