/*
 * scenario.h — the shape of an execution: defaults, validation, and drawing
 * one from a schedule's leading bytes (for raw fuzzer inputs).
 */
#ifndef STACKRACE_SCENARIO_H
#define STACKRACE_SCENARIO_H
#include <stddef.h>
#include <stdint.h>
#include "stackrace/model.h"

#define SCENARIO_BYTES 4

sr_scenario scenario_defaults(const sr_target *t);
/* NULL if valid, else a reason. */
const char *scenario_check(const sr_scenario *sc);
/* Draws mutators, program length, delivery and barrier spacing from the
 * first SCENARIO_BYTES bytes; returns how many bytes it consumed. */
size_t scenario_from_bytes(sr_scenario *sc, const uint8_t *b, size_t len);
/* The step budget when none is given: the scenario's, or more for long
 * programs, so that a long clean execution is not reported as a hang. */
uint32_t scenario_step_budget(const sr_scenario *sc);
const char *scenario_delivery_name(sr_delivery d);
#endif
