/* scenario.c — scenario defaults, checks, and scenarios drawn from bytes. */
#include "scenario.h"

static const sr_scenario engine_defaults = {
    .mutators = 1, .program_len = 50, .scan_rate = 100, .signal_rate = 20,
    .switch_rate = 50, .barrier_spacing = 0, .delivery = SR_DELIVER_MIXED,
    .max_steps = 200000,
};

sr_scenario scenario_defaults(const sr_target *t)
{
    return t->defaults ? *t->defaults : engine_defaults;
}

const char *scenario_check(const sr_scenario *sc)
{
    if (sc->mutators < 1 || sc->mutators > 8)
        return "mutators must be in 1..8";
    if (sc->program_len < 1 || sc->program_len > 100000)
        return "program length must be in 1..100000";
    if (sc->scan_rate < 1 || sc->scan_rate > 1000)
        return "scan rate must be in 1..1000 (per mille)";
    if (sc->signal_rate > 1000 || sc->switch_rate > 1000)
        return "rates are per mille: 0..1000";
    if (sc->barrier_spacing > 1u << 20 || (sc->barrier_spacing & 7))
        return "barrier spacing must be a multiple of 8 bytes, at most 1 MiB";
    if ((unsigned)sc->delivery > SR_DELIVER_MIXED)
        return "delivery must be same-thread, remote or mixed";
    if (sc->max_steps < 100 || sc->max_steps > 100000000)
        return "step budget must be in 100..100000000";
    return 0;
}

size_t scenario_from_bytes(sr_scenario *sc, const uint8_t *b, size_t len)
{
    uint8_t v[SCENARIO_BYTES] = {0};
    for (size_t i = 0; i < SCENARIO_BYTES && i < len; i++)
        v[i] = b[i];
    sc->mutators = 1u + v[0] % 2u;
    sc->program_len = 10u + v[1] % 90u;
    sc->delivery = (sr_delivery)(v[2] % 3u);
    sc->barrier_spacing = (v[3] & 1u) ? 1024u : 0u;
    sc->scan_rate = 50u + (uint32_t)(v[3] >> 1) * 4u;
    return len < SCENARIO_BYTES ? len : SCENARIO_BYTES;
}

uint32_t scenario_step_budget(const sr_scenario *sc)
{
    uint64_t scaled = 4000ull * sc->program_len * sc->mutators;
    uint64_t budget = scaled > sc->max_steps ? scaled : sc->max_steps;
    return budget > 100000000u ? 100000000u : (uint32_t)budget;
}

const char *scenario_delivery_name(sr_delivery d)
{
    switch (d) {
    case SR_DELIVER_SAME_THREAD: return "same-thread";
    case SR_DELIVER_REMOTE: return "remote";
    case SR_DELIVER_MIXED: return "mixed";
    }
    return "?";
}
