#!/usr/bin/env bash
# plugin_walker_test.sh — a user's walkers from a shared object: listed,
# checked (the correct one clean under barriers, the one that drops a frame
# caught), a plug-in of another walker ABI refused in one line, one built
# against the first release's header taken.
# usage: plugin_walker_test.sh STACKRACE GOOD.so BAD_ABI.so FIRST_RELEASE.so [SANITIZERS]
set -euo pipefail
SR=$1 GOOD=$2 BAD=$3 FIRST=$4 SANITIZE=${5:-}
OUT=$(mktemp) ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"' EXIT
fail() { echo "FAIL - $*"; head -c 2000 "$OUT"; head -c 2000 "$ERR"; exit 1; }
LIMIT=120 # seconds a command may take (a hung one fails)
run() { local want=$1; shift; set +e; timeout "$LIMIT" "$SR" "$@" >"$OUT" 2>"$ERR"; local rc=$?; set -e
        [[ $rc == "$want" ]] || fail "stackrace $* exited $rc, not $want"; }

run 0 --plugin "$GOOD" walkers
grep -q "^user-fp .*available.*(plug-in $GOOD)" "$OUT" || fail "walkers lists the plug-in's walker"
echo "ok - the plug-in's walkers are listed"

run 0 --plugin "$GOOD" stress --walker user-fp --barriers --shapes call,leaf,large,alloca,saved,recurse \
    --threads 2 --samples 20000 --seconds 120 --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["wrong"]==0 and r["validated"]>1000, r' "$OUT" ||
    fail "user-fp clean"
echo "ok - a correct user walker is clean under barriers"

run 1 stress --plugin "$GOOD" --walker user-skip --threads 2 --samples 20000 --seconds 120 --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["wrong"]>0 and any("user-skip" in f["message"] for f in r["finding_list"]), r' "$OUT" ||
    fail "user-skip caught"
echo "ok - a user walker that drops a frame is caught"

# the naive frame-pointer walker skips the caller at a function's first
# instruction and at its ret: stress sees it there, as the sweep does below
# (not under ThreadSanitizer, which walks parked threads only)
if [[ $SANITIZE != *thread* ]]; then
    run 1 --plugin "$GOOD" stress --walker user-naive-fp --threads 2 --samples 30000 --seconds 120 --json
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["wrong"]>0 and any("user-naive-fp returned frames" in f["message"] for f in r["finding_list"]), r' "$OUT" ||
        fail "user-naive-fp caught by stress"
    echo "ok - stress catches the naive frame-pointer walker at entries and rets"
else
    echo "ok - (not under ThreadSanitizer: running threads are not walked there)"
fi

if [[ $SANITIZE != *thread* ]]; then # no sweep under ThreadSanitizer
    run 0 --plugin "$GOOD" sweep --walker user-fp --calls 20 --json
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); b=r["regions"]["body"]; assert r["walker"]=="user-fp" and b["exact"] > 0.99*sum(b.values()), r' "$OUT" ||
        fail "sweep of user-fp: exact in bodies"
    echo "ok - sweep takes a plug-in's walker (exact in bodies)"
    run 0 --plugin "$GOOD" sweep --walker user-naive-fp --calls 20 --json
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); p=r["regions"]["prologue"]; b=r["regions"]["body"]; assert p["wrong"] > 0 and b["exact"] > 0.99*sum(b.values()), r' "$OUT" ||
        fail "sweep of user-naive-fp: wrong in prologues"
    echo "ok - sweep catches the naive frame-pointer walker in prologues, as stress does"
    run 0 --plugin "$GOOD" sweep --walker user-crash --calls 5 --json
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); t=r["total"]; assert t["fault"] > 100 and t["fault"] == r["faults"] == r["instructions"] and r["findings"] == r["faults"] and t["declined"] == 0 and r["first_finding"].startswith("walker-fault: walker user-crash faulted"), r' "$OUT" ||
        fail "sweep of user-crash: faults are findings"
    echo "ok - sweep: a walker that crashes is a fault and a finding at every sample, never a decline"
    run 0 --plugin "$GOOD" sweep --walker user-crash --calls 5 --json --per-pc
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); e=[p["first_error"] for p in r["per_pc"] if p["verdicts"]["fault"]]; assert e and all(x["verdict"] == "fault" and "faulted (SIGSEGV)" in x["fault"] for x in e), r["per_pc"][:2]' "$OUT" ||
        fail "sweep --per-pc of user-crash: each faulting pc names its fault"
    echo "ok - sweep --per-pc: the evidence of a faulting pc says how the walker faulted"
    # a few seconds (the tracer's 2 s limit; 20 s in a sanitizer build): a
    # sweep whose watchdog never fires hangs, and fails at the limit
    LIMIT=60 run 0 --plugin "$GOOD" sweep --walker user-spin-once --calls 5 --json
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); t=r["total"]; assert t["fault"] == r["faults"] == r["findings"] == 1 and r["first_finding"].startswith("watchdog: walker user-spin-once did not finish a walk in ") and t["exact"] > 100, r' "$OUT" ||
        fail "sweep of user-spin-once: the stuck walk stopped by the watchdog, a finding"
    echo "ok - sweep: a walk that does not end is stopped by the tracer's watchdog, told as a finding, and the sweep goes on"
fi

run 2 --plugin "$BAD" walkers
[[ $(wc -l <"$ERR") == 1 ]] && grep -q "walker ABI 99" "$ERR" || fail "another ABI refused in one line"
echo "ok - a plug-in of another walker ABI is refused"

run 0 --plugin "$FIRST" stress --walker user-fp --shapes call,leaf --threads 2 --samples 10000 --seconds 120 --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["wrong"]==0 and r["validated"]>100, r' "$OUT" ||
    fail "a plug-in of the first release's walk struct"
echo "ok - a plug-in built against the first release's sr_stack_walk (no stopped) is taken"
